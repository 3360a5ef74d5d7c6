# Страница лицензионного соглашения: что принять и какие решения приняты.

eula-title = Лицензионное соглашение
eula-pending-intro = Пожалуйста, прочитайте лицензионное соглашение ниже. Вы сможете пользоваться продуктом после того, как примете его.
eula-nothing-pending = Вы приняли все лицензионные соглашения, которые требуются для ваших лицензий. Здесь ничего делать не нужно.
eula-back-to-account = Вернуться в учётную запись
eula-version-of = { $product }, версия { $version }
eula-fallback-note = Это соглашение пока недоступно на вашем языке, поэтому оно показано на языке: { $language }.
eula-agree-label = Я прочитал(а) и принимаю лицензионное соглашение для { $product }, версия { $version }.
eula-accept-submit = Принять соглашение
eula-accept-means = Когда вы нажмёте кнопку, мы запишем, что вы приняли именно этот текст, с датой, временем и способом входа.
eula-tick-first = Отметьте флажок, чтобы подтвердить, что вы принимаете соглашение.
eula-accepted-notice = Спасибо! Ваше согласие записано.
eula-history-title = Ваши решения
eula-history-empty = Вы ещё не принимали решений ни по одному лицензионному соглашению.
eula-col-version = Соглашение
eula-col-decision = Решение
eula-col-when = Когда
eula-col-how = Способ входа
eula-decision-accepted = Принято
eula-decision-declined = Отклонено
eula-decision-withdrawn = Отозвано
eula-how-password = пароль
eula-how-code = одноразовый код
eula-how-passkey = ключ доступа
eula-how-unknown = не записан

# /account/security, страницы настройки и «подтвердите, что это вы».

security-title = Вход и безопасность
security-contents = На этой странице
security-back = Вернуться к входу и безопасности
security-continue = Продолжить
security-copied = Скопировано
security-copy-key = Скопировать ключ

security-done-password = Ваш пароль изменён. На других устройствах выполнен выход.
security-done-verification-sent = Мы отправили ссылку ещё раз. Проверьте почту.
security-done-totp-removed = Приложение-аутентификатор удалено.
security-done-passkey-added = Ваш ключ доступа добавлен.
security-done-passkey-renamed = Ключ доступа переименован.
security-done-passkey-removed = Ключ доступа удалён.
security-done-session-revoked = На этом устройстве выполнен выход.
security-done-confirmed = Спасибо, подтверждено.
security-done-email-sent = Проверьте почту.

security-email-title = Адрес электронной почты
security-email-address = Ваш адрес: { $email }
security-email-verified = Подтверждён
security-email-unverified = Ещё не подтверждён. Откройте ссылку, которую мы отправили на этот адрес.
security-email-send-again = Отправить ссылку ещё раз
security-email-change = Изменить адрес электронной почты
security-email-new = Новый адрес электронной почты
security-email-new-hint = Мы отправим ссылку на новый адрес. Адрес изменится, когда вы её откроете.
security-email-change-submit = Изменить адрес
security-email-sent = Мы отправили ссылку на { $email }.
security-email-sent-next = Откройте её, чтобы завершить изменение. До тех пор входите с текущим адресом.

security-two-step-title = Второй шаг входа
security-two-step-intro = Второй шаг защищает вашу учётную запись, даже если кто-то узнает ваш пароль.
security-totp-title = Приложение-аутентификатор
security-totp-on = Приложение-аутентификатор настроено.
security-totp-off = Не настроено. Приложение-аутентификатор на телефоне каждые 30 секунд показывает новый шестизначный код.
security-totp-add = Настроить приложение-аутентификатор
security-totp-remove = Удалить приложение-аутентификатор
security-totp-page-title = Настройка приложения-аутентификатора
security-totp-explain = Вам понадобится приложение-аутентификатор на телефоне, например Google Authenticator, Microsoft Authenticator или 1Password. При входе вы вводите код, который оно показывает.
security-totp-step-scan = В приложении-аутентификаторе добавьте учётную запись и отсканируйте этот код.
security-totp-qr-label = QR-код для вашего приложения-аутентификатора
security-totp-step-type = Не получается отсканировать? Введите в приложение этот ключ:
security-totp-step-confirm = Введите шесть цифр, которые сейчас показывает приложение, чтобы проверить, что всё работает.
security-totp-confirm = Включить
security-totp-done = Ваше приложение-аутентификатор настроено.

security-passkeys-title = Ключи доступа
security-passkeys-intro = Ключ доступа позволяет входить по отпечатку пальца, лицу или блокировке экрана вместо пароля. Поддельный сайт не сможет его украсть.
security-passkeys-none = У вас пока нет ключей доступа.
security-passkey-added = Добавлен { $date }
security-passkey-used = последнее использование { $date }
security-passkey-never-used = ещё не использовался
security-passkey-rename = Переименовать «{ $name }»
security-passkey-new-name = Новое название
security-passkey-rename-submit = Сохранить название
security-passkey-remove = Удалить
security-passkey-remove-named = Удалить ключ доступа «{ $name }»
security-passkey-name = Название нового ключа доступа (необязательно)
security-passkey-name-hint = Например, «Рабочий ноутбук» или «Мой телефон», чтобы различать ключи доступа.
security-passkey-add = Добавить ключ доступа
security-passkey-page-title = Добавление ключа доступа

security-recovery-title = Коды восстановления
security-recovery-intro = Если вы потеряете телефон или ключ доступа, код восстановления позволит войти. Каждый код действует один раз.
security-recovery-left = { $n ->
    [0] У вас нет неиспользованных кодов. Создайте новые ниже.
    [one] У вас { $n } неиспользованный код.
    [few] У вас { $n } неиспользованных кода.
   *[other] У вас { $n } неиспользованных кодов.
}
security-recovery-regenerate = Создать новые коды восстановления
security-recovery-needs-factor = Коды восстановления создаются вместе со вторым шагом входа. Сначала настройте его.
security-recovery-page-title = Ваши коды восстановления
security-recovery-new = Вот ваши новые коды восстановления. Старые больше не действуют.
security-recovery-save = Храните эти коды в надёжном месте, например в менеджере паролей или на распечатке. Каждый код позволяет один раз войти, если вы потеряете второй шаг.
security-recovery-download = Скачать текстовым файлом
security-recovery-copy = Скопировать коды
security-recovery-once = Мы показываем эти коды только сейчас.
security-recovery-saved = Я сохранил(а) коды
security-recovery-file-title = Коды восстановления для { $product }
security-recovery-file-note = Каждый код действует один раз. Никому не показывайте этот файл.

security-password-title = Пароль
security-password-current = Текущий пароль
security-password-new = Новый пароль
security-password-submit = Изменить пароль

security-sessions-title = Где выполнен вход
security-sessions-intro = Если вы не узнаёте устройство, выйдите на нём и смените пароль.
security-session-this = Это устройство
security-session-unknown-device = Неизвестное устройство
security-session-started = Вход { $date }
security-session-seen = последняя активность { $date }
security-session-revoke = Выйти на этом устройстве

security-events-title = Недавние события безопасности
security-events-none = Пока ничего нет.
security-event-signed_up = Учётная запись создана
security-event-signed_in = Вход выполнен
security-event-sign_in_failed = Неудачная попытка входа
security-event-reauthenticated = Личность подтверждена
security-event-password_changed = Пароль изменён
security-event-password_reset = Пароль сброшен
security-event-email_changed = Адрес электронной почты изменён
security-event-totp_enrolled = Приложение-аутентификатор настроено
security-event-totp_removed = Приложение-аутентификатор удалено
security-event-passkey_added = Ключ доступа добавлен
security-event-passkey_removed = Ключ доступа удалён
security-event-passkey_possibly_cloned = Отклонён скопированный ключ доступа
security-event-recovery_codes_generated = Созданы новые коды восстановления
security-event-recovery_code_used = Использован код восстановления
security-event-app_signed_in = Приложение вошло в вашу учётную запись
security-event-app_token_replayed = Приложение было отключено: его токен входа использовали дважды

security-confirm-title = Подтвердите, что это вы
security-confirm-why = В целях безопасности подтвердите, что это вы, прежде чем вносить это изменение.
security-confirm-intro = Это защищает вашу учётную запись, если этим устройством пользуется кто-то другой.
security-confirm-submit = Подтвердить
security-confirm-cancel = Отменить и вернуться

security-apps-title = Приложения, вошедшие в ваш аккаунт
security-apps-intro = Эти приложения остаются в аккаунте, пока вы не выйдете из них здесь. Выйдите из приложения на компьютере, который вы потеряли или больше не используете.
security-apps-none = Ни одно приложение не вошло в ваш аккаунт.
security-app-device = на устройстве «{ $device }»
security-app-signed-in = вход { $date }
security-app-used = последнее использование { $date }
security-app-sign-out = Выйти из этого приложения
security-app-sign-out-of = Выйти из этого приложения: { $app }
security-done-app-signed-out = Выход из приложения выполнен. Оно попросит вас войти снова.

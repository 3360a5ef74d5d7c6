# Why things were refused, worded for people.

## What happened, and the one thing to do next.

reason-validation_failed = Некоторые данные введены не совсем правильно.
reason-validation_failed-next = Проверьте выделенные поля и попробуйте ещё раз.
reason-invalid_credentials = Адрес электронной почты или пароль указаны неверно.
reason-invalid_credentials-next = Проверьте их и попробуйте ещё раз.
reason-step_up_failed = Нам не удалось подтвердить, что это вы, но вы по-прежнему в системе.
reason-step_up_failed-next = Проверьте, что вы ввели, и попробуйте ещё раз.
reason-mfa_required = Для этого нужен более надёжный вход с помощью такого способа: { $factor }.
reason-mfa_required-next = Подтвердите, что это вы, этим способом или войдите заново, используя его.
reason-factor_enrollment_required = Для этого нужно то, чего в вашей учётной записи пока нет: { $factor }.
reason-factor_enrollment_required-next = Сначала настройте это в своей учётной записи, а затем попробуйте ещё раз.
reason-reauthentication_required = Ради вашей безопасности нам нужно сначала убедиться, что это действительно вы.
reason-reauthentication_required-next = Подтвердите, что это вы, и повторите попытку в течение пяти минут.
reason-eula_acceptance_required = Прежде чем продолжить, нужно принять последнюю версию лицензионного соглашения.
reason-eula_acceptance_required-next = Прочитайте соглашение, примите его и попробуйте ещё раз.
reason-email_verification_required = Ваш адрес электронной почты ещё не подтверждён.
reason-email_verification_required-next = Перейдите по ссылке из нашего письма или запросите новую.
reason-unauthorized = Вы не вошли в систему, или срок вашего входа истёк.
reason-unauthorized-next = Войдите и попробуйте ещё раз.
reason-forbidden = Вашей учётной записи это действие недоступно.
reason-forbidden-next = Если вы считаете, что это ошибка, обратитесь в службу поддержки.
reason-not_found = Такой страницы или записи нет, или она вам больше не принадлежит.
reason-not_found-next = Проверьте ссылку, по которой вы перешли, или вернитесь в свою учётную запись.
reason-method_not_allowed = Отсюда это сделать нельзя.
reason-method_not_allowed-next = Вернитесь на предыдущую страницу и попробуйте ещё раз.
reason-conflict = Это уже существует или уже сделано.
reason-conflict-next = Обновите страницу, чтобы увидеть, как обстоят дела сейчас.
reason-seat_limit_reached = Эта лицензия уже используется на максимально допустимом числе устройств.
reason-seat_limit_reached-next = Удалите на странице «Лицензии» устройство, которым вы больше не пользуетесь, и попробуйте ещё раз.
reason-license_suspended = Действие этой лицензии приостановлено.
reason-license_suspended-next = Чтобы узнать подробности, обратитесь в службу поддержки.
reason-license_revoked = Эта лицензия отозвана и больше не может использоваться.
reason-license_revoked-next = Если вы считаете, что это ошибка, обратитесь в службу поддержки.
reason-license_expired = Срок действия этой лицензии истёк.
reason-license_expired-next = Продлите лицензию, чтобы продолжить ею пользоваться.
reason-activation_code_used = Этот код активации уже использован.
reason-activation_code_used-next = Проверьте, правильный ли код вы ввели, или обратитесь в службу поддержки, если вы его не использовали.
reason-lease_lapsed = Это устройство давно не выходило на связь, поэтому его место в лицензии освободилось.
reason-lease_lapsed-next = Активируйте лицензию на этом устройстве заново.
reason-factor_required_by_license = Ваша лицензия требует, чтобы в учётной записи всегда было настроено следующее: { $factor }.
reason-factor_required_by_license-next = Прежде чем удалять этот способ входа, добавьте ещё один такой же.
reason-passkeys_unavailable = Ключи доступа сейчас нельзя использовать на этом сайте.
reason-passkeys_unavailable-next = Пока воспользуйтесь другим способом входа.
reason-account_locked = Слишком много раз был введён неверный пароль, поэтому вход в эту учётную запись временно приостановлен.
reason-account_locked-next = Попробуйте снова, когда пройдёт { $wait }, или сбросьте пароль.
reason-rate_limited = Вы пытались сделать это слишком много раз за короткое время.
reason-rate_limited-next = Попробуйте снова, когда пройдёт { $wait }.
reason-payload_too_large = Отправленные данные слишком велики.
reason-payload_too_large-next = Сократите их и попробуйте ещё раз.
reason-unsupported_media_type = Мы не смогли прочитать данные, которые отправил ваш браузер.
reason-unsupported_media_type-next = Обновите страницу и попробуйте ещё раз.
reason-timeout = Это заняло слишком много времени, и мы прервали операцию.
reason-timeout-next = Попробуйте ещё раз чуть позже.
reason-unavailable = Сейчас мы не можем это сделать: часть нашего сервиса не работает.
reason-unavailable-next = Попробуйте снова через несколько минут.
reason-internal = На нашей стороне что-то пошло не так.
reason-internal-next = Попробуйте позже, а если ошибка повторится, обратитесь в службу поддержки.

## Something the person typed was refused.

refusal-password = Это не ваш текущий пароль.
refusal-totp_code = Код неверный; проверьте, правильно ли установлено время на телефоне.
refusal-recovery_code = Этот код восстановления неверный или уже был использован.
refusal-passkey = Ключ доступа не принят. Попробуйте ещё раз.
refusal-possibly_cloned = Похоже, этот ключ доступа скопирован, поэтому во входе отказано. Обратитесь в службу поддержки.
refusal-no_attempts_left = Слишком много неверных ответов, поэтому этот вход прерван. Начните заново с ввода пароля.

## Activation codes.

code-unknown = Такой код активации не найден. Сверьте его с чеком или письмом, в котором вы его получили.
code-used_up = Этот код активации уже использован.

## Other refusals.

pending-gone = Время на этот вход истекло. Начните заново.
account-same_email = Это уже ваш адрес электронной почты.
account-already_verified = Ваш адрес электронной почты уже подтверждён.
totp-already_set_up = Приложение-аутентификатор уже настроено. Удалите его, прежде чем добавлять другое.
totp-nothing_to_confirm = Нет приложения-аутентификатора, которое ожидает подтверждения.
passkey-already_registered = Этот ключ доступа уже добавлен в вашу учётную запись.
eula-already_decided = Вы уже ответили на эту версию соглашения.
busy = Сейчас у нас очень высокая нагрузка. Попробуйте ещё раз через минуту.

## Sign-in methods, as { $factor }.

factor-second_factor = второй шаг входа (приложение-аутентификатор или ключ доступа)
factor-passkey = ключ доступа

## Waits, as { $wait }.

wait-seconds = { $n ->
    [one] { $n } секунда
    [few] { $n } секунды
   *[many] { $n } секунд
    [other] { $n } секунды
}
wait-minutes = { $n ->
    [one] { $n } минута
    [few] { $n } минуты
   *[many] { $n } минут
    [other] { $n } минуты
}

## Under an input field.

rule-email-empty = Введите свой адрес электронной почты.
rule-email-too_long = Этот адрес электронной почты слишком длинный.
rule-email-malformed = Это не похоже на адрес электронной почты; он должен выглядеть так: name@example.com.
rule-email-invisible = Здесь есть невидимый символ или символ направления текста; введите это заново вручную.
rule-password-too_short = { $min ->
    [one] Используйте не менее { $min } символа.
    [few] Используйте не менее { $min } символов.
   *[many] Используйте не менее { $min } символов.
    [other] Используйте не менее { $min } символа.
}
rule-password-too_long = Это слишком длинно; выберите вариант покороче.
rule-code-wrong_length = { $n ->
    [one] В коде { $n } символ; дефисы и пробелы не учитываются.
    [few] В коде { $n } символа; дефисы и пробелы не учитываются.
   *[many] В коде { $n } символов; дефисы и пробелы не учитываются.
    [other] В коде { $n } символа; дефисы и пробелы не учитываются.
}
rule-code-bad_symbol = Символ «{ $symbol }» в кодах не используется; проверьте, что вы ввели.
rule-code-check_failed = В коде опечатка: какой-то символ неверный или два символа переставлены местами.
rule-fingerprint-empty = Это поле не может быть пустым.
rule-fingerprint-too_long = Это значение слишком длинное.
rule-required = Пожалуйста, заполните это поле.
rule-text = { $max ->
    [one] Используйте не более { $max } символа.
    [few] Используйте не более { $max } символов.
   *[many] Используйте не более { $max } символов.
    [other] Используйте не более { $max } символа.
}
rule-name = { $max ->
    [one] Используйте от 1 до { $max } символа.
    [few] Используйте от 1 до { $max } символов.
   *[many] Используйте от 1 до { $max } символов.
    [other] Используйте от 1 до { $max } символа.
}
rule-path_safe_name = { $max ->
    [one] Используйте от 1 до { $max } символа, без косой черты (/).
    [few] Используйте от 1 до { $max } символов, без косой черты (/).
   *[many] Используйте от 1 до { $max } символов, без косой черты (/).
    [other] Используйте от 1 до { $max } символа, без косой черты (/).
}
rule-bytes = { $max ->
    [one] Заполните это поле; объём — не более { $max } байта.
    [few] Заполните это поле; объём — не более { $max } байт.
   *[many] Заполните это поле; объём — не более { $max } байт.
    [other] Заполните это поле; объём — не более { $max } байта.
}
rule-language_tag = Укажите код языка, например en или de-CH.
rule-one_of = Выберите один из вариантов: { $words }.
rule-between = Введите целое число от { $min } до { $max }.
rule-in_future = Выберите время в будущем.
rule-unknown_policy = Политики лицензирования с таким названием нет.
rule-perpetual_policy = Эта лицензия бессрочная, поэтому укажите новую дату окончания.
rule-unknown_audience = Подключённого сервиса с таким названием нет.
rule-not_published = Это не опубликованная версия соглашения.
rule-hash_mismatch = Текст соглашения изменился; обновите страницу и прочитайте его ещё раз.
rule-link_expired = Эта ссылка неизвестна, уже использована или устарела; запросите новую.
rule-removal_link_expired = Эта ссылка недействительна или устарела; войдите, чтобы управлять своими устройствами.
rule-second_factor_required = Подтвердите действие вторым шагом входа, а не паролем.
rule-not_a_credential = Мы не смогли разобрать ответ ключа доступа; попробуйте ещё раз.
rule-id = Этот идентификатор недействителен; проверьте ссылку, по которой вы перешли.
rule-no_control_characters = Здесь есть скрытые управляющие символы; введите текст заново вручную.

## Field names, for a summary of errors.

field-email = Адрес электронной почты
field-password = Пароль
field-new_password = Новый пароль
field-current_password = Текущий пароль
field-activation_code = Код активации
field-code = Код
field-name = Название
field-token = Ссылка из письма
field-fingerprint = Идентификатор устройства
field-link = Ссылка
field-decision = Ваш ответ
field-credential = Ключ доступа
field-body = Текст

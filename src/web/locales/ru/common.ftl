# Каркас каждой страницы, вход и регистрация, обзор учётной записи, страницы ошибок.

## Layout
layout-skip = Перейти к содержимому
layout-languages = Язык
layout-help = Помощь
layout-need-help = Нужна помощь?
layout-sign-out = Выйти
checklist-done = готово

## Sign in
sign-in-title = Вход
sign-in-email = Адрес электронной почты
sign-in-password = Пароль
sign-in-submit = Войти
sign-in-forgot = Забыли пароль?
sign-in-with-passkey = Войти с ключом доступа
sign-in-no-account = Впервые у нас?
sign-in-create-account = Создать учётную запись

## Sign up
sign-up-title = Создайте учётную запись
sign-up-email = Адрес электронной почты
sign-up-password = Придумайте пароль
sign-up-password-hint = Не менее 10 символов. Несколько не связанных между собой слов легко запомнить и трудно угадать.
sign-up-name = Ваше имя (необязательно)
sign-up-code = Код активации (необязательно)
sign-up-code-hint = Если вы купили лицензию, код указан в чеке или в письме, которое пришло вместе с ней.
sign-up-submit = Создать учётную запись
sign-up-have-account = Уже есть учётная запись?
sign-up-sign-in = Войти
sign-up-check-title = Проверьте почту
sign-up-sent = Мы отправили письмо на адрес { $email }.
sign-up-sent-next = Перейдите по ссылке из письма, чтобы подтвердить адрес. Затем войдите с паролем, который вы только что придумали.
sign-up-continue = Войти
sign-up-no-mail = Письмо не пришло через несколько минут? Загляните в папку «Спам». Если у вас уже была учётная запись с этим адресом, в письме будет сказано именно об этом.

## Account
account-title = Ваша учётная запись
account-signed-in-as = Вы вошли как { $email }
account-checklist = Первые шаги
account-step-email = Подтвердите адрес электронной почты
account-step-factor = Добавьте второй шаг входа
account-step-license = Добавьте свою лицензию
account-step-eula = Примите лицензионное соглашение
account-step-device = Активируйте продукт на устройстве
account-more = Управление
account-link-licenses = Лицензии и устройства
account-link-security = Вход и безопасность
account-link-eula = Лицензионное соглашение
account-link-support = Обратиться в службу поддержки

## Errors
error-form-expired = Срок действия этой формы истёк.
error-form-expired-next = Вернитесь назад, обновите страницу и отправьте форму ещё раз. Ничего не было изменено.
error-timeout-unsure = Это заняло слишком много времени, и мы перестали ждать. Возможно, ваш запрос всё же выполнен.
error-timeout-unsure-next = Прежде чем пробовать снова, вернитесь и проверьте, выполнено ли это.
error-action-sign-in = Войти
error-action-licenses = Перейти к лицензиям
error-action-eula = Прочитать лицензионное соглашение
error-action-security = Перейти в «Вход и безопасность»
error-action-reset = Сбросить пароль
error-action-account = Перейти в учётную запись
error-action-home = На главную
error-help-title = Всё ещё не получается?
error-help-text = Наша служба поддержки поможет. Чтобы убедиться, что это вы, вас попросят назвать PIN-код поддержки.
error-help-link = Получить PIN-код поддержки и связаться со службой поддержки

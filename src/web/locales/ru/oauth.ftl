# Приложения, которые входят от имени пользователя (OAuth): согласие, требования и путь обратно.

oauth-title = Вход в { $app }
oauth-as = Вы вошли как { $email }.
oauth-wants = { $app } получит
oauth-scope-openid = кто вы (номер вашей учётной записи)
oauth-scope-email = ваш адрес электронной почты
oauth-scope-profile = ваше имя
oauth-scope-license = ваши лицензии на { $product }
oauth-scope-offline_access = оставаться в системе, пока вы не выйдете из приложения
oauth-only-if-you-started = Продолжайте, только если вы сами только что начали вход в { $app }.
oauth-allow = Разрешить и продолжить
oauth-deny = Отмена
oauth-bad-link-title = Эта ссылка для входа не работает
oauth-bad-link-what = Приложение отправило вас сюда по ссылке, которую мы не можем использовать.
oauth-bad-link-next = Вернитесь в приложение и начните вход заново. Если это повторяется, свяжитесь с разработчиком приложения.
oauth-needs-title = Прежде чем { $app } сможет выполнить вход
oauth-needs-retry = Я это сделал(а): продолжить в { $app }
oauth-returning-title = Возвращаемся в { $app }
oauth-declined-title = Вы отменили вход в { $app }
oauth-returning-text = Если { $app } не откроется само, нажмите кнопку.
oauth-returning-link = Открыть { $app }

# The second step of signing in, and signing in with a passkey.

signin-second-step-title = One more step
signin-second-step-intro = Your password was right. Now show it is you with your second sign-in step.
signin-continue = Continue
signin-ended-next = Enter your email address and password again.
signin-start-over = Start again with your password
signin-another-way = Use another way
signin-use-passkey = Use a passkey instead
signin-use-totp = Use your authenticator app instead
signin-use-recovery = Use a recovery code instead
signin-use-password = Use your password instead
signin-totp-label = Code from your authenticator app
signin-totp-hint = Open the app and type the six digits it shows for this account.
signin-recovery-label = Recovery code
signin-recovery-hint = One of the codes you saved when you set up your second step, like ABCDE-12345. Each code works once.
signin-password-label = Your password
signin-passkey-explain = Use the passkey on this device or your security key. Your device will ask for your fingerprint, face or screen lock.
signin-passkey-button = Use your passkey
signin-passkey-missing = This browser cannot use passkeys. Use another way below, or open this page in an up-to-date browser.
signin-passkey-cancelled = The passkey was not used. Try again, or use another way.
signin-passkey-failed = Something went wrong with the passkey. Reload the page and try again.

# Pages that mailed links open: confirming an address, a new password, removing a device.

## Confirm the address
links-verify-title = Confirm your email address
links-expired-next = Each link in our emails works only once and only for a limited time.
links-verify-explain = You opened the link from our email. Press the button to confirm that this email address is yours.
links-verify-submit = Confirm my email address
links-verify-not-you = If you did not create an account with us, close this page. Nothing happens unless you press the button.
links-verify-new-link = Send me a new link
links-verify-sign-in-for-new = Sign in to get a new link
links-verified-title = Address confirmed
links-verified-notice = Thank you. Your email address is confirmed.
links-verified-continue = Continue to your account
links-verified-continue-activation = Continue activating
links-verified-sign-in = Sign in

## Forgotten password
links-reset-request-title = Reset your password
links-reset-request-explain = Enter the email address of your account. We will send you a link to choose a new password.
links-reset-email = Email address
links-reset-request-submit = Send me a link
links-reset-back-to-sign-in = Back to sign in
links-reset-sent-title = Check your email
links-reset-sent = If an account exists for that address, we have sent it a link to choose a new password.
links-reset-sent-next = Open the link within 30 minutes. It works only once.
links-reset-sent-no-mail = No message after a few minutes? Look in your spam folder, or check that you typed the address you signed up with.
links-reset-new-title = Choose a new password
links-reset-new-explain = Choose a new password for your account. You will be signed out everywhere else.
links-reset-new-password = New password
links-reset-new-submit = Save the new password
links-reset-ask-again = Ask for a new link
links-reset-done-title = Password changed
links-reset-done-notice = Your new password is saved.
links-reset-done-next = Sign in with your new password. If you set up a second sign-in step, it is still asked for.
links-reset-done-sign-in = Sign in

## Remove a device
links-remove-title = Remove a device
links-remove-explain = You opened the link from our email about a new device on your license. Press the button to remove that device: it can no longer use the product, and its place on the license is free again.
links-remove-device = This link removes the device “{ $device }” ({ $platform }).
links-remove-unnamed = a device without a name
links-remove-already = This device is already removed from your license. There is nothing more to do.
links-remove-if-you = If you activated the device yourself, you do not need to do anything. Nothing happens unless you press the button.
links-remove-submit = Remove this device
links-remove-manage-hint = You can also see all your devices after signing in.
links-remove-manage = Manage your devices
links-removed-title = Device removed
links-removed-notice = The device is removed from your license.
links-removed-next = If you did not activate it, someone else may know your password. Sign in and change it now.
links-removed-security = Go to sign-in and security

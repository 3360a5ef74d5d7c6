# The frame of every page, signing in and up, the account overview, error pages.

## Layout
layout-skip = Skip to content
layout-languages = Language
layout-help = Help
layout-need-help = Need help?
layout-sign-out = Sign out
checklist-done = done

## Sign in
sign-in-title = Sign in
sign-in-email = Email address
sign-in-password = Password
sign-in-submit = Sign in
sign-in-forgot = Forgot your password?
sign-in-with-passkey = Sign in with a passkey
sign-in-no-account = New here?
sign-in-create-account = Create an account

## Sign up
sign-up-title = Create your account
sign-up-email = Email address
sign-up-password = Choose a password
sign-up-password-hint = At least 10 characters. A few unrelated words are easy to remember and hard to guess.
sign-up-name = Your name (optional)
sign-up-code = Activation code (optional)
sign-up-code-hint = If you bought a license, the code is in your receipt or in the email that came with it.
sign-up-submit = Create account
sign-up-have-account = Already have an account?
sign-up-sign-in = Sign in
sign-up-check-title = Check your email
sign-up-sent = We sent a message to { $email }.
sign-up-sent-next = Open the link in it to confirm your address. Then sign in with the password you just chose.
sign-up-continue = Sign in
sign-up-no-mail = No message after a few minutes? Look in your spam folder. If you already had an account with this address, the message tells you so instead.

## Account
account-title = Your account
account-signed-in-as = Signed in as { $email }
account-checklist = Getting started
account-step-email = Confirm your email address
account-step-factor = Add a second sign-in step
account-step-license = Add your license
account-step-eula = Accept the license agreement
account-step-device = Activate the product on a device
account-more = Manage
account-link-licenses = Licenses and devices
account-link-security = Sign-in and security
account-link-eula = License agreement
account-link-support = Get help from support

## Errors
error-form-expired = This form has expired.
error-form-expired-next = Go back, reload the page and send the form again. Nothing was changed.
error-timeout-unsure = This took too long, so we stopped waiting. What you asked for may have been done all the same.
error-timeout-unsure-next = Go back and check whether it was done before you try again.
error-action-sign-in = Sign in
error-action-licenses = Go to your licenses
error-action-eula = Read the license agreement
error-action-security = Go to sign-in and security
error-action-reset = Reset your password
error-action-account = Go to your account
error-action-home = Go to the start page
error-help-title = Still stuck?
error-help-text = Our support team can help. They will ask for a support PIN to know it is you.
error-help-link = Get a support PIN and contact support

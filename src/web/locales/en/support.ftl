# Getting help: the support PIN, the help widget, and the public help page.

## Support PIN
support-title = Get help from support
support-pin-title = Support PIN
support-pin-explain = When you call or write to our support team, they ask for a support PIN to know it is really you. Get one here when they ask.
support-pin-submit = Get a support PIN
support-pin-read-out = Read this PIN to the support agent:
support-pin-label = Your support PIN:
support-pin-time-left = Time left:
support-pin-minutes = 10 minutes
support-pin-expired = expired — get a new PIN
support-pin-valid-until = The PIN works until { $time }.
support-pin-never-share = Only give it to our support team, while you are talking to them.
support-pin-again = Get a new PIN
support-contact-title = Contact support
support-contact-widget = Use the help button on this page to chat with our support team. It already knows who you are.
support-contact-open-chat = Open the chat
support-contact-help-page = Our help page answers common questions and tells you how to reach the support team.
support-contact-open-help = Open the help page
support-contact-mail = Write to our support team at the email address on the product’s website or in your receipt.

## Help page
help-title = Help
help-intro = Find your situation below.
help-vendor-page = Open the help page
help-support-title = Talk to the support team
help-support-text = Our support team asks for a support PIN to know it is really you. You get the PIN on your account's support page.
help-support-link = Get a support PIN
help-support-sign-in = You need to sign in first.
help-password-title = Forgot your password?
help-password-text = We can send you a link to choose a new one.
help-password-link = Reset your password
help-device-title = Lost your phone or security key?
help-device-text = Sign in with your password, then choose to use a recovery code instead. These are the codes you saved when you set up the second sign-in step.
help-device-no-codes = No recovery codes? Contact our support team: they will check who you are and help you back in.
help-sign-in = Sign in

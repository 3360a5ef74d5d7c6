# /activate: the guided checklist from an activation code to a working license.

activate-title = Activate your license
activate-done-title = Your license is ready
activate-step-code = Enter your activation code
activate-step-account = Create an account or sign in
activate-step-email = Confirm your email address
activate-step-eula = Accept the license agreement
activate-step-factor = Set up the extra sign-in step
activate-step-license = Add the license to your account
activate-step-done = Start using the product

activate-code-label = Activation code
activate-code-hint = 16 letters and numbers, like ABCD-EFGH-JKMN-PQRS. You find it in your receipt or in the email that came with your purchase.
activate-code-typo = This code has a typo: a character is wrong or two are swapped. Compare it with your receipt.
activate-code-submit = Continue

activate-account-intro = The license will belong to your account, so you can use it on your devices and find your key again later.
activate-account-new = New here?
activate-account-create = Create account and add license
activate-account-existing = Already have an account?
activate-account-existing-text = Sign in and you will come straight back here with your code.
activate-account-sign-in = Sign in to continue

activate-email-text = We sent a link to { $email }. Open it to confirm your address, then come back to this page.
activate-email-resend = Send the link again
activate-email-sent = We sent the link again. It can take a few minutes to arrive.

activate-eula-intro = Please read the license agreement for this product. You can use the product once you accept it.
activate-eula-other-language = This agreement is not available in your language, so it is shown in the language it was published in.
activate-eula-checkbox = I have read the license agreement (version { $version }) and agree to it.
activate-eula-accept = I accept the license agreement
activate-eula-untick = You did not tick the box.
activate-eula-untick-next = Tick the box to show that you agree, then press the button again.

activate-factor-passkey = This license asks for a passkey when you sign in. A passkey uses your fingerprint, face or screen lock instead of a password, and nobody can trick you into giving it away.
activate-factor-passkey-go = Set up a passkey
activate-factor-totp = This license asks for a second sign-in step: a code from an authenticator app on your phone, or a passkey.
activate-factor-totp-go = Set up the second step
activate-factor-confirm = This license asks you to prove it is you with your second sign-in step before it is added.
activate-factor-confirm-go = Confirm it is you

activate-license-text = Everything is ready. Add the license for this code to your account:
activate-license-submit = Add the license to my account

activate-done-notice = The { $product } license is on your account.
activate-done-key = Your license key
activate-copy-key = Copy the key
activate-copied = Copied
activate-done-next = What to do next
activate-done-open = Open { $product } on your computer.
activate-done-sign-in = Sign in there with this account, or choose to enter a license key.
activate-done-paste = If you chose the key, paste the key above. The product does the rest.
activate-done-licenses = See your licenses and devices
activate-expired-next = Ask the shop or person who gave you this code for a new one.

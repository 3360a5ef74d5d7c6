# /account/security, the enrollment pages and "confirm it is you".

security-title = Sign-in and security
security-contents = On this page
security-back = Back to sign-in and security
security-continue = Continue
security-copied = Copied
security-copy-key = Copy the key

security-done-password = Your password is changed. Other devices were signed out.
security-done-verification-sent = We sent the link again. Check your email.
security-done-totp-removed = The authenticator app is removed.
security-done-passkey-added = Your passkey is added.
security-done-passkey-renamed = The passkey is renamed.
security-done-passkey-removed = The passkey is removed.
security-done-session-revoked = That device is signed out.
security-done-confirmed = Thank you, it is confirmed.
security-done-email-sent = Check your email.

security-email-title = Email address
security-email-address = Your address: { $email }
security-email-verified = Confirmed
security-email-unverified = Not confirmed yet. Open the link we sent to this address.
security-email-send-again = Send the link again
security-email-change = Change your email address
security-email-new = New email address
security-email-new-hint = We send a link to the new address. The change happens when you open it.
security-email-change-submit = Change address
security-email-sent = We sent a link to { $email }.
security-email-sent-next = Open it to finish the change. Until then, keep signing in with your current address.

security-two-step-title = Second sign-in step
security-two-step-intro = A second step keeps your account safe even if someone learns your password.
security-totp-title = Authenticator app
security-totp-on = An authenticator app is set up.
security-totp-off = Not set up. An authenticator app on your phone shows a new six-digit code every 30 seconds.
security-totp-add = Set up an authenticator app
security-totp-remove = Remove the authenticator app
security-totp-page-title = Set up an authenticator app
security-totp-explain = You need an authenticator app on your phone, such as Google Authenticator, Microsoft Authenticator or 1Password. When you sign in, you type the code it shows.
security-totp-step-scan = In your authenticator app, add an account and scan this code.
security-totp-qr-label = QR code for your authenticator app
security-totp-step-type = Cannot scan? Type this key into the app instead:
security-totp-step-confirm = Type the six digits the app now shows, to check that it works.
security-totp-confirm = Turn on
security-totp-done = Your authenticator app is set up.

security-passkeys-title = Passkeys
security-passkeys-intro = A passkey lets you sign in with your fingerprint, face or screen lock instead of a password. It cannot be stolen by a fake website.
security-passkeys-none = You have no passkeys yet.
security-passkey-added = Added { $date }
security-passkey-used = last used { $date }
security-passkey-never-used = not used yet
security-passkey-rename = Rename “{ $name }”
security-passkey-new-name = New name
security-passkey-rename-submit = Save the name
security-passkey-remove = Remove
security-passkey-remove-named = Remove the passkey “{ $name }”
security-passkey-name = Name for the new passkey (optional)
security-passkey-name-hint = For example “Work laptop” or “My phone”, so you can tell your passkeys apart.
security-passkey-add = Add a passkey
security-passkey-page-title = Add a passkey

security-recovery-title = Recovery codes
security-recovery-intro = If you lose your phone or passkey, a recovery code lets you sign in. Each code works once.
security-recovery-left = { $n ->
    [0] You have no unused codes. Make new ones below.
    [one] You have one unused code.
   *[other] You have { $n } unused codes.
}
security-recovery-regenerate = Make new recovery codes
security-recovery-needs-factor = Recovery codes come with your second sign-in step. Set one up first.
security-recovery-page-title = Your recovery codes
security-recovery-new = Here are your new recovery codes. The old ones no longer work.
security-recovery-save = Keep these codes somewhere safe, such as a password manager or a printed page. Each one signs you in once if you lose your second step.
security-recovery-download = Download as a text file
security-recovery-copy = Copy the codes
security-recovery-once = We show these codes only now.
security-recovery-saved = I have saved my codes
security-recovery-file-title = Recovery codes for { $product }
security-recovery-file-note = Each code works once. Keep this file private.

security-password-title = Password
security-password-current = Current password
security-password-new = New password
security-password-submit = Change password

security-sessions-title = Where you are signed in
security-sessions-intro = If you do not recognise a device, sign it out and change your password.
security-session-this = This device
security-session-unknown-device = Unknown device
security-session-started = Signed in { $date }
security-session-seen = last active { $date }
security-session-revoke = Sign out this device

security-events-title = Recent security events
security-events-none = Nothing yet.
security-event-signed_up = Account created
security-event-signed_in = Signed in
security-event-sign_in_failed = Failed sign-in attempt
security-event-reauthenticated = Confirmed it was you
security-event-password_changed = Password changed
security-event-password_reset = Password reset
security-event-email_changed = Email address changed
security-event-totp_enrolled = Authenticator app set up
security-event-totp_removed = Authenticator app removed
security-event-passkey_added = Passkey added
security-event-passkey_removed = Passkey removed
security-event-passkey_possibly_cloned = A copied passkey was refused
security-event-recovery_codes_generated = New recovery codes made
security-event-recovery_code_used = Recovery code used
security-event-app_signed_in = An app signed in to your account
security-event-app_token_replayed = An app was signed out: its sign-in token was used twice

security-confirm-title = Confirm it is you
security-confirm-why = For your safety, please confirm it is you before changing this.
security-confirm-intro = This keeps your account safe if someone else uses this device.
security-confirm-submit = Confirm
security-confirm-cancel = Cancel and go back

security-apps-title = Apps signed in to your account
security-apps-intro = These apps stay signed in until you sign them out here. Sign out an app on a computer you lost or no longer use.
security-apps-none = No app is signed in to your account.
security-app-device = on { $device }
security-app-signed-in = signed in { $date }
security-app-used = last used { $date }
security-app-sign-out = Sign out this app
security-app-sign-out-of = Sign out this app: { $app }
security-done-app-signed-out = That app is signed out. It will ask you to sign in again.

# Why things were refused, worded for people.

## What happened, and the one thing to do next.

reason-validation_failed = Something you entered is not quite right.
reason-validation_failed-next = Check the highlighted fields and try again.
reason-invalid_credentials = The email address or password is not right.
reason-invalid_credentials-next = Check both and try again.
reason-step_up_failed = We could not confirm it is you, but you are still signed in.
reason-step_up_failed-next = Check what you entered and try again.
reason-mfa_required = This needs a stronger sign-in, using this method: { $factor }.
reason-mfa_required-next = Confirm it is you with it, or sign in again using it.
reason-factor_enrollment_required = This needs something your account does not have yet: { $factor }.
reason-factor_enrollment_required-next = Set it up in your account first, then try again.
reason-reauthentication_required = For your safety, we need to check that it is really you before doing this.
reason-reauthentication_required-next = Confirm it is you, then try again within five minutes.
reason-eula_acceptance_required = Before you continue, you need to accept the latest license agreement.
reason-eula_acceptance_required-next = Read the agreement and accept it, then try again.
reason-email_verification_required = Your email address has not been confirmed yet.
reason-email_verification_required-next = Open the link we sent to your email, or ask for a new one.
reason-unauthorized = You are not signed in, or your sign-in has expired.
reason-unauthorized-next = Sign in and try again.
reason-forbidden = Your account is not allowed to do this.
reason-forbidden-next = If you think this is a mistake, contact support.
reason-not_found = This page or item does not exist, or it is no longer yours.
reason-not_found-next = Check the link you followed, or go back to your account.
reason-method_not_allowed = This can't be done from here.
reason-method_not_allowed-next = Go back to the previous page and try again.
reason-conflict = This already exists, or it has already been done.
reason-conflict-next = Reload the page to see how things stand now.
reason-seat_limit_reached = This license is already in use on as many devices as it allows.
reason-seat_limit_reached-next = Remove a device you no longer use on the Licenses page, then try again.
reason-transfer_limit_reached = This license has been moved between devices as often as it allows in 30 days.
reason-transfer_limit_reached-next = Keep using the devices you have, or try again in { $wait }. Support can help if a device broke.
reason-license_suspended = This license is suspended for now.
reason-license_suspended-next = Contact support to find out more.
reason-license_revoked = This license has been withdrawn and can no longer be used.
reason-license_revoked-next = If you think this is a mistake, contact support.
reason-license_expired = This license has expired.
reason-license_expired-next = Renew the license to keep using it.
reason-activation_code_used = This activation code has already been used.
reason-activation_code_used-next = Check that you entered the right code, or contact support if you did not use it yourself.
reason-lease_lapsed = This device has not checked in for a while, so its place on the license was released.
reason-lease_lapsed-next = Activate the license on this device again.
reason-factor_required_by_license = Your license requires your account to always have this: { $factor }.
reason-factor_required_by_license-next = Add another one before you remove this one.
reason-passkeys_unavailable = Passkeys can't be used on this site right now.
reason-passkeys_unavailable-next = Use another way to sign in for now.
reason-account_locked = There were too many wrong passwords, so signing in to this account is paused for a while.
reason-account_locked-next = Wait { $wait } and try again, or reset your password.
reason-rate_limited = You have tried this too many times in a short while.
reason-rate_limited-next = Wait { $wait } and try again.
reason-payload_too_large = What you sent is too large.
reason-payload_too_large-next = Make it shorter and try again.
reason-unsupported_media_type = We could not read what your browser sent.
reason-unsupported_media_type-next = Reload the page and try again.
reason-timeout = This took too long, so we stopped.
reason-timeout-next = Try again in a moment.
reason-unavailable = We can't do this right now because part of our service is down.
reason-unavailable-next = Try again in a few minutes.
reason-internal = Something went wrong on our side.
reason-internal-next = Try again later, and contact support if it keeps happening.

## Something the person typed was refused.

refusal-password = That is not your current password.
refusal-totp_code = That code is not right; check that the time on your phone is correct.
refusal-recovery_code = That recovery code is not right, or it has already been used.
refusal-passkey = The passkey was not accepted. Please try again.
refusal-possibly_cloned = This passkey looks like a copy, so we refused the sign-in. Please contact support.
refusal-no_attempts_left = There were too many wrong answers, so this sign-in has ended. Start again with your password.

## Activation codes.

code-unknown = We could not find that activation code. Check it against your receipt or the email it came in.
code-used_up = This activation code has already been used.

## Other refusals.

pending-gone = This sign-in has expired. Please start again.
account-same_email = This is already your email address.
account-already_verified = Your email address is already confirmed.
totp-already_set_up = An authenticator app is already set up. Remove it before adding another.
totp-nothing_to_confirm = There is no authenticator app waiting to be confirmed.
passkey-already_registered = This passkey is already added to your account.
eula-already_decided = You have already answered this version of the agreement.
busy = We are very busy right now. Please try again in a minute.

## Sign-in methods, as { $factor }.

factor-second_factor = a second sign-in step (an authenticator app or a passkey)
factor-passkey = a passkey

## Waits, as { $wait }.

wait-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
wait-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}

## Under an input field.

rule-email-empty = Please enter your email address.
rule-email-too_long = This email address is too long.
rule-email-malformed = This does not look like an email address; it should look like name@example.com.
rule-email-invisible = This contains an invisible or text-direction character; please type it again by hand.
rule-password-too_short = { $min ->
    [one] Please use at least { $min } character.
   *[other] Please use at least { $min } characters.
}
rule-password-too_long = This is too long; please choose something shorter.
rule-code-wrong_length = { $n ->
    [one] The code has { $n } character; dashes and spaces don't matter.
   *[other] The code has { $n } characters; dashes and spaces don't matter.
}
rule-code-bad_symbol = “{ $symbol }” is not used in codes; please check what you typed.
rule-code-check_failed = The code has a typo: a character is wrong or two are swapped.
rule-fingerprint-empty = This can't be empty.
rule-fingerprint-too_long = This is too long.
rule-required = Please fill this in.
rule-text = { $max ->
    [one] Please use at most { $max } character.
   *[other] Please use at most { $max } characters.
}
rule-name = { $max ->
    [one] Please use exactly { $max } character.
   *[other] Please use 1 to { $max } characters.
}
rule-path_safe_name = { $max ->
    [one] Please use exactly { $max } character, and no slash (/).
   *[other] Please use 1 to { $max } characters, and no slash (/).
}
rule-bytes = { $max ->
    [one] Please fill this in, using at most { $max } byte.
   *[other] Please fill this in, using at most { $max } bytes.
}
rule-language_tag = Please enter a language code such as en or de-CH.
rule-one_of = Please choose one of these: { $words }.
rule-between = Please enter a whole number from { $min } to { $max }.
rule-in_future = Please choose a time in the future.
rule-unknown_policy = There is no license policy with this name.
rule-perpetual_policy = This license never ends on its own, so please give the new end date.
rule-unknown_audience = There is no connected service with this name.
rule-not_published = This is not a published version of the agreement.
rule-hash_mismatch = The agreement text has changed; please reload the page and read it again.
rule-link_expired = This link is unknown, already used or expired; please ask for a new one.
rule-removal_link_expired = This link is not valid or has expired; sign in to manage your devices.
rule-second_factor_required = Please confirm with your second sign-in step, not your password.
rule-not_a_credential = We did not understand the passkey's answer; please try again.
rule-id = This reference is not valid; please check the link you followed.
rule-no_control_characters = This contains hidden control characters; please type it again by hand.

## Field names, for a summary of errors.

field-email = Email address
field-password = Password
field-new_password = New password
field-current_password = Current password
field-activation_code = Activation code
field-code = Code
field-name = Name
field-token = Link from the email
field-fingerprint = Device ID
field-link = Link
field-decision = Your answer
field-credential = Passkey
field-body = Text
device-code-wrong = That code is not right, or it has expired. Check the code your device shows and type it again.

# Apps signing their users in (OAuth): approval, requirements, and the way back.

oauth-title = Sign in to { $app }
oauth-as = You are signed in as { $email }.
oauth-wants = { $app } will get
oauth-scope-openid = who you are (your account number)
oauth-scope-email = your email address
oauth-scope-profile = your name
oauth-scope-license = your licenses for { $product }
oauth-scope-offline_access = to stay signed in until you sign out of the app
oauth-only-if-you-started = Continue only if you started signing in to { $app } yourself just now.
oauth-allow = Allow and continue
oauth-deny = Cancel
oauth-bad-link-title = This sign-in link does not work
oauth-bad-link-what = The app sent you here with a link we cannot use.
oauth-bad-link-next = Go back to the app and start signing in again. If it keeps happening, contact the app's maker.
oauth-needs-title = Before { $app } can sign you in
oauth-needs-retry = I have done this: continue to { $app }
oauth-returning-title = Returning to { $app }
oauth-declined-title = You cancelled signing in to { $app }
oauth-returning-text = If { $app } does not open by itself, press the button.
oauth-returning-link = Open { $app }

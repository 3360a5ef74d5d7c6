# The license agreement page: what to accept, and what was decided.

eula-title = License agreement
eula-pending-intro = Please read the license agreement below. You can use the product once you have accepted it.
eula-nothing-pending = You have accepted every license agreement your licenses need. There is nothing to do here.
eula-back-to-account = Back to your account
eula-version-of = { $product }, version { $version }
eula-fallback-note = This agreement is not available in your language yet, so it is shown in { $language }.
eula-agree-label = I have read and accept the license agreement for { $product }, version { $version }.
eula-accept-submit = Accept the agreement
eula-accept-means = When you press the button, we record that you accepted this exact text, with the date and time and how you signed in.
eula-tick-first = Tick the box to confirm you accept the agreement.
eula-accepted-notice = Thank you. Your acceptance is recorded.
eula-history-title = Your decisions
eula-history-empty = You have not decided on any license agreement yet.
eula-col-version = Agreement
eula-col-decision = Decision
eula-col-when = When
eula-col-how = Signed in with
eula-decision-accepted = Accepted
eula-decision-declined = Declined
eula-decision-withdrawn = Withdrawn
eula-how-password = password
eula-how-code = one-time code
eula-how-passkey = passkey
eula-how-unknown = not recorded

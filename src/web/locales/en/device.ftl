# Approving a sign-in for a device without a browser (a CLI, a TV) by its code.

device-title = Connect a device
device-intro = Type the code your device shows. It looks like BCDF-GHJK.
device-code-label = Code from your device
device-continue = Continue
device-approve-title = Sign in to { $app } on your device?
device-asked = The request came on { $when }, from the network address { $ip }.
device-asked-no-ip = The request came on { $when }.
device-warning = Approve only if you started this on your own device just now. If someone sent you this code or asked you to enter it, do not approve: they would get into your account.
device-allow = Approve
device-deny = Deny
device-approved-title = Your device is signed in
device-approved-text = Go back to { $app } on your device: it goes on by itself.
device-denied-title = The request was denied
device-denied-text = { $app } was not signed in. You can close this page.

// Passkeys: WebAuthn ceremonies for the pages (filled in with the sign-in pages).
"use strict";

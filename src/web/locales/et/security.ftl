# /account/security, seadistuslehed ja „kinnitage, et see olete teie“.

security-title = Sisselogimine ja turvalisus
security-contents = Sellel lehel
security-back = Tagasi sisselogimise ja turvalisuse juurde
security-continue = Jätka
security-copied = Kopeeritud
security-copy-key = Kopeeri võti

security-done-password = Teie parool on muudetud. Teistest seadmetest logiti välja.
security-done-verification-sent = Saatsime lingi uuesti. Vaadake oma e-posti.
security-done-totp-removed = Autentimisrakendus on eemaldatud.
security-done-passkey-added = Teie pääsuvõti on lisatud.
security-done-passkey-renamed = Pääsuvõtme nimi on muudetud.
security-done-passkey-removed = Pääsuvõti on eemaldatud.
security-done-session-revoked = See seade on välja logitud.
security-done-confirmed = Aitäh, kinnitatud.
security-done-email-sent = Vaadake oma e-posti.

security-email-title = E-posti aadress
security-email-address = Teie aadress: { $email }
security-email-verified = Kinnitatud
security-email-unverified = Veel kinnitamata. Avage link, mille sellele aadressile saatsime.
security-email-send-again = Saada link uuesti
security-email-change = Muutke oma e-posti aadressi
security-email-new = Uus e-posti aadress
security-email-new-hint = Saadame uuele aadressile lingi. Muudatus jõustub, kui selle avate.
security-email-change-submit = Muuda aadressi
security-email-sent = Saatsime lingi aadressile { $email }.
security-email-sent-next = Avage see, et muudatus lõpule viia. Seni logige sisse oma praeguse aadressiga.

security-two-step-title = Sisselogimise teine samm
security-two-step-intro = Teine samm hoiab teie konto kaitstuna ka siis, kui keegi saab teie parooli teada.
security-totp-title = Autentimisrakendus
security-totp-on = Autentimisrakendus on seadistatud.
security-totp-off = Pole seadistatud. Telefoni autentimisrakendus näitab iga 30 sekundi järel uut kuuekohalist koodi.
security-totp-add = Seadistage autentimisrakendus
security-totp-remove = Eemalda autentimisrakendus
security-totp-page-title = Autentimisrakenduse seadistamine
security-totp-explain = Teil on vaja telefoni autentimisrakendust, näiteks Google Authenticator, Microsoft Authenticator või 1Password. Sisselogimisel sisestate koodi, mida see näitab.
security-totp-step-scan = Lisage autentimisrakenduses konto ja skannige see kood.
security-totp-qr-label = QR-kood teie autentimisrakenduse jaoks
security-totp-step-type = Ei saa skannida? Sisestage rakendusse hoopis see võti:
security-totp-step-confirm = Sisestage kuus numbrit, mida rakendus nüüd näitab, et kontrollida, kas see töötab.
security-totp-confirm = Lülita sisse
security-totp-done = Teie autentimisrakendus on seadistatud.

security-passkeys-title = Pääsuvõtmed
security-passkeys-intro = Pääsuvõtmega saate parooli asemel sisse logida sõrmejälje, näo või ekraaniluku abil. Võltsveebileht ei saa seda varastada.
security-passkeys-none = Teil pole veel pääsuvõtmeid.
security-passkey-added = Lisatud { $date }
security-passkey-used = viimati kasutatud { $date }
security-passkey-never-used = pole veel kasutatud
security-passkey-rename = Nimeta „{ $name }“ ümber
security-passkey-new-name = Uus nimi
security-passkey-rename-submit = Salvesta nimi
security-passkey-remove = Eemalda
security-passkey-remove-named = Eemalda pääsuvõti „{ $name }“
security-passkey-name = Uue pääsuvõtme nimi (valikuline)
security-passkey-name-hint = Näiteks „Töö sülearvuti“ või „Minu telefon“, et pääsuvõtmeid eristada.
security-passkey-add = Lisa pääsuvõti
security-passkey-page-title = Pääsuvõtme lisamine

security-recovery-title = Taastekoodid
security-recovery-intro = Kui kaotate telefoni või pääsuvõtme, saate taastekoodiga sisse logida. Iga kood töötab üks kord.
security-recovery-left = { $n ->
    [0] Teil pole kasutamata koode. Looge allpool uued.
    [one] Teil on üks kasutamata kood.
   *[other] Teil on { $n } kasutamata koodi.
}
security-recovery-regenerate = Loo uued taastekoodid
security-recovery-needs-factor = Taastekoodid tulevad koos sisselogimise teise sammuga. Seadistage see kõigepealt.
security-recovery-page-title = Teie taastekoodid
security-recovery-new = Siin on teie uued taastekoodid. Vanad enam ei tööta.
security-recovery-save = Hoidke need koodid turvalises kohas, näiteks paroolihalduris või väljaprinditult. Iga kood logib teid ühe korra sisse, kui kaotate teise sammu.
security-recovery-download = Laadi alla tekstifailina
security-recovery-copy = Kopeeri koodid
security-recovery-once = Näitame neid koode ainult praegu.
security-recovery-saved = Olen koodid salvestanud
security-recovery-file-title = { $product } taastekoodid
security-recovery-file-note = Iga kood töötab üks kord. Hoidke see fail privaatsena.

security-password-title = Parool
security-password-current = Praegune parool
security-password-new = Uus parool
security-password-submit = Muuda parooli

security-sessions-title = Kus olete sisse logitud
security-sessions-intro = Kui te mõnda seadet ei tunne, logige see välja ja muutke oma parooli.
security-session-this = See seade
security-session-unknown-device = Tundmatu seade
security-session-started = Sisse logitud { $date }
security-session-seen = viimati aktiivne { $date }
security-session-revoke = Logi see seade välja

security-events-title = Hiljutised turvasündmused
security-events-none = Veel midagi pole.
security-event-signed_up = Konto loodud
security-event-signed_in = Sisse logitud
security-event-sign_in_failed = Ebaõnnestunud sisselogimiskatse
security-event-reauthenticated = Isik kinnitatud
security-event-password_changed = Parool muudetud
security-event-password_reset = Parool lähtestatud
security-event-email_changed = E-posti aadress muudetud
security-event-totp_enrolled = Autentimisrakendus seadistatud
security-event-totp_removed = Autentimisrakendus eemaldatud
security-event-passkey_added = Pääsuvõti lisatud
security-event-passkey_removed = Pääsuvõti eemaldatud
security-event-passkey_possibly_cloned = Kopeeritud pääsuvõti lükati tagasi
security-event-recovery_codes_generated = Uued taastekoodid loodud
security-event-recovery_code_used = Taastekood kasutatud
security-event-app_signed_in = Rakendus logis teie kontole sisse
security-event-app_token_replayed = Rakendus logiti välja: selle sisselogimisluba kasutati kaks korda

security-confirm-title = Kinnitage, et see olete teie
security-confirm-why = Teie turvalisuse huvides kinnitage enne selle muutmist, et see olete teie.
security-confirm-intro = Nii on teie konto kaitstud ka siis, kui keegi teine seda seadet kasutab.
security-confirm-submit = Kinnita
security-confirm-cancel = Tühista ja mine tagasi

security-apps-title = Teie kontole sisse logitud rakendused
security-apps-intro = Need rakendused jäävad sisse logituks, kuni logite need siin välja. Logige välja rakendus arvutis, mille olete kaotanud või mida enam ei kasuta.
security-apps-none = Ükski rakendus pole teie kontole sisse logitud.
security-app-device = seadmes { $device }
security-app-signed-in = sisse logitud { $date }
security-app-used = viimati kasutatud { $date }
security-app-sign-out = Logi see rakendus välja
security-app-sign-out-of = Logi see rakendus välja: { $app }
security-done-app-signed-out = See rakendus on välja logitud. See palub teil uuesti sisse logida.

# /account/security, iestatīšanas lapas un “apstipriniet, ka tas esat jūs”.

security-title = Pierakstīšanās un drošība
security-contents = Šajā lapā
security-back = Atpakaļ uz pierakstīšanos un drošību
security-continue = Turpināt
security-copied = Nokopēts
security-copy-key = Kopēt atslēgu

security-done-password = Jūsu parole ir nomainīta. Citās ierīcēs jūs tikāt izrakstīts.
security-done-verification-sent = Mēs nosūtījām saiti vēlreiz. Pārbaudiet savu e-pastu.
security-done-totp-removed = Autentifikācijas lietotne ir noņemta.
security-done-passkey-added = Jūsu piekļuves atslēga ir pievienota.
security-done-passkey-renamed = Piekļuves atslēga ir pārdēvēta.
security-done-passkey-removed = Piekļuves atslēga ir noņemta.
security-done-session-revoked = Šajā ierīcē jūs esat izrakstīts.
security-done-confirmed = Paldies, apstiprināts.
security-done-email-sent = Pārbaudiet savu e-pastu.

security-email-title = E-pasta adrese
security-email-address = Jūsu adrese: { $email }
security-email-verified = Apstiprināta
security-email-unverified = Vēl nav apstiprināta. Atveriet saiti, ko nosūtījām uz šo adresi.
security-email-send-again = Nosūtīt saiti vēlreiz
security-email-change = Mainīt e-pasta adresi
security-email-new = Jaunā e-pasta adrese
security-email-new-hint = Mēs nosūtīsim saiti uz jauno adresi. Adrese mainīsies, kad to atvērsiet.
security-email-change-submit = Mainīt adresi
security-email-sent = Mēs nosūtījām saiti uz { $email }.
security-email-sent-next = Atveriet to, lai pabeigtu maiņu. Līdz tam pierakstieties ar pašreizējo adresi.

security-two-step-title = Pierakstīšanās otrais solis
security-two-step-intro = Otrais solis pasargā jūsu kontu pat tad, ja kāds uzzina jūsu paroli.
security-totp-title = Autentifikācijas lietotne
security-totp-on = Autentifikācijas lietotne ir iestatīta.
security-totp-off = Nav iestatīta. Autentifikācijas lietotne tālrunī ik pēc 30 sekundēm rāda jaunu sešciparu kodu.
security-totp-add = Iestatīt autentifikācijas lietotni
security-totp-remove = Noņemt autentifikācijas lietotni
security-totp-page-title = Autentifikācijas lietotnes iestatīšana
security-totp-explain = Jums tālrunī būs vajadzīga autentifikācijas lietotne, piemēram, Google Authenticator, Microsoft Authenticator vai 1Password. Pierakstoties jūs ievadīsiet tās rādīto kodu.
security-totp-step-scan = Autentifikācijas lietotnē pievienojiet kontu un noskenējiet šo kodu.
security-totp-qr-label = QR kods jūsu autentifikācijas lietotnei
security-totp-step-type = Nevarat noskenēt? Ievadiet lietotnē šo atslēgu:
security-totp-step-confirm = Ievadiet sešus ciparus, ko lietotne tagad rāda, lai pārbaudītu, vai tā darbojas.
security-totp-confirm = Ieslēgt
security-totp-done = Jūsu autentifikācijas lietotne ir iestatīta.

security-passkeys-title = Piekļuves atslēgas
security-passkeys-intro = Ar piekļuves atslēgu varat pierakstīties ar pirkstu nospiedumu, seju vai ekrāna bloķēšanu paroles vietā. Viltota vietne to nevar nozagt.
security-passkeys-none = Jums vēl nav piekļuves atslēgu.
security-passkey-added = Pievienota { $date }
security-passkey-used = pēdējo reizi izmantota { $date }
security-passkey-never-used = vēl nav izmantota
security-passkey-rename = Pārdēvēt “{ $name }”
security-passkey-new-name = Jaunais nosaukums
security-passkey-rename-submit = Saglabāt nosaukumu
security-passkey-remove = Noņemt
security-passkey-remove-named = Noņemt piekļuves atslēgu “{ $name }”
security-passkey-name = Jaunās piekļuves atslēgas nosaukums (nav obligāts)
security-passkey-name-hint = Piemēram, “Darba klēpjdators” vai “Mans tālrunis”, lai jūs varētu atšķirt savas piekļuves atslēgas.
security-passkey-add = Pievienot piekļuves atslēgu
security-passkey-page-title = Piekļuves atslēgas pievienošana

security-recovery-title = Atkopšanas kodi
security-recovery-intro = Ja pazaudējat tālruni vai piekļuves atslēgu, ar atkopšanas kodu varat pierakstīties. Katrs kods der vienu reizi.
security-recovery-left = { $n ->
    [0] Jums nav neizmantotu kodu. Izveidojiet jaunus zemāk.
    [zero] Jums ir { $n } neizmantotu kodu.
    [one] Jums ir { $n } neizmantots kods.
   *[other] Jums ir { $n } neizmantoti kodi.
}
security-recovery-regenerate = Izveidot jaunus atkopšanas kodus
security-recovery-needs-factor = Atkopšanas kodi tiek izveidoti kopā ar pierakstīšanās otro soli. Vispirms iestatiet to.
security-recovery-page-title = Jūsu atkopšanas kodi
security-recovery-new = Šeit ir jūsu jaunie atkopšanas kodi. Vecie vairs nedarbojas.
security-recovery-save = Glabājiet šos kodus drošā vietā, piemēram, paroļu pārvaldniekā vai izdrukātus. Katrs kods ļauj vienreiz pierakstīties, ja pazaudējat otro soli.
security-recovery-download = Lejupielādēt kā teksta failu
security-recovery-copy = Kopēt kodus
security-recovery-once = Šos kodus rādām tikai tagad.
security-recovery-saved = Esmu saglabājis kodus
security-recovery-file-title = { $product } atkopšanas kodi
security-recovery-file-note = Katrs kods der vienu reizi. Neizpaudiet šo failu.

security-password-title = Parole
security-password-current = Pašreizējā parole
security-password-new = Jaunā parole
security-password-submit = Mainīt paroli

security-sessions-title = Kur esat pierakstījies
security-sessions-intro = Ja neatpazīstat kādu ierīci, izrakstieties no tās un nomainiet paroli.
security-session-this = Šī ierīce
security-session-unknown-device = Nezināma ierīce
security-session-started = Pierakstījies { $date }
security-session-seen = pēdējoreiz aktīvs { $date }
security-session-revoke = Izrakstīties šajā ierīcē

security-events-title = Nesenie drošības notikumi
security-events-none = Vēl nekā nav.
security-event-signed_up = Konts izveidots
security-event-signed_in = Pierakstīšanās
security-event-sign_in_failed = Neveiksmīgs pierakstīšanās mēģinājums
security-event-reauthenticated = Identitāte apstiprināta
security-event-password_changed = Parole nomainīta
security-event-password_reset = Parole atiestatīta
security-event-email_changed = E-pasta adrese nomainīta
security-event-totp_enrolled = Autentifikācijas lietotne iestatīta
security-event-totp_removed = Autentifikācijas lietotne noņemta
security-event-passkey_added = Piekļuves atslēga pievienota
security-event-passkey_removed = Piekļuves atslēga noņemta
security-event-passkey_possibly_cloned = Nokopēta piekļuves atslēga tika noraidīta
security-event-recovery_codes_generated = Izveidoti jauni atkopšanas kodi
security-event-recovery_code_used = Izmantots atkopšanas kods
security-event-app_signed_in = Lietotne pieteicās jūsu kontā
security-event-app_token_replayed = Lietotne tika izrakstīta: tās pieteikšanās marķieris tika izmantots divreiz

security-confirm-title = Apstipriniet, ka tas esat jūs
security-confirm-why = Jūsu drošības labad pirms šīs izmaiņas apstipriniet, ka tas esat jūs.
security-confirm-intro = Tas pasargā jūsu kontu, ja šo ierīci izmanto kāds cits.
security-confirm-submit = Apstiprināt
security-confirm-cancel = Atcelt un atgriezties

security-apps-title = Lietotnes, kas pierakstītas jūsu kontā
security-apps-intro = Šīs lietotnes paliek pierakstītas, līdz jūs tās šeit izrakstāt. Izrakstiet lietotni datorā, kuru esat pazaudējis vai vairs neizmantojat.
security-apps-none = Jūsu kontā nav pierakstīta neviena lietotne.
security-app-device = ierīcē { $device }
security-app-signed-in = pierakstīta { $date }
security-app-used = pēdējoreiz izmantota { $date }
security-app-sign-out = Izrakstīt šo lietotni
security-app-sign-out-of = Izrakstīt šo lietotni: { $app }
security-done-app-signed-out = Lietotne ir izrakstīta. Tā lūgs jums pierakstīties vēlreiz.

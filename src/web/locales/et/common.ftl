# Iga lehe raam, sisselogimine ja registreerumine, konto ülevaade, vealehed.

## Layout
layout-skip = Liigu sisu juurde
layout-languages = Keel
layout-help = Abi
layout-need-help = Vajate abi?
layout-sign-out = Logi välja
checklist-done = tehtud

## Sign in
sign-in-title = Sisselogimine
sign-in-email = E-posti aadress
sign-in-password = Parool
sign-in-submit = Logi sisse
sign-in-forgot = Unustasite parooli?
sign-in-with-passkey = Logi sisse pääsuvõtmega
sign-in-no-account = Olete siin esimest korda?
sign-in-create-account = Loo konto

## Sign up
sign-up-title = Looge oma konto
sign-up-email = E-posti aadress
sign-up-password = Valige parool
sign-up-password-hint = Vähemalt 10 tähemärki. Mõnda omavahel mitteseotud sõna on lihtne meelde jätta ja raske ära arvata.
sign-up-name = Teie nimi (valikuline)
sign-up-code = Aktiveerimiskood (valikuline)
sign-up-code-hint = Kui ostsite litsentsi, leiate koodi kviitungilt või e-kirjast, mis sellega kaasa tuli.
sign-up-submit = Loo konto
sign-up-have-account = Kas teil on juba konto?
sign-up-sign-in = Logi sisse
sign-up-check-title = Vaadake oma e-posti
sign-up-sent = Saatsime kirja aadressile { $email }.
sign-up-sent-next = Avage kirjas olev link, et oma aadress kinnitada. Seejärel logige sisse äsja valitud parooliga.
sign-up-continue = Logi sisse
sign-up-no-mail = Kiri pole mõne minuti jooksul saabunud? Vaadake rämpsposti kausta. Kui teil oli selle aadressiga juba konto, öeldakse kirjas hoopis seda.

## Account
account-title = Teie konto
account-signed-in-as = Olete sisse logitud aadressiga { $email }
account-checklist = Esimesed sammud
account-step-email = Kinnitage oma e-posti aadress
account-step-factor = Lisage teine sisselogimise samm
account-step-license = Lisage oma litsents
account-step-eula = Nõustuge litsentsilepinguga
account-step-device = Aktiveerige toode mõnes seadmes
account-more = Haldamine
account-link-licenses = Litsentsid ja seadmed
account-link-security = Sisselogimine ja turvalisus
account-link-eula = Litsentsileping
account-link-support = Küsige abi klienditoelt

## Errors
error-form-expired = See vorm on aegunud.
error-form-expired-next = Minge tagasi, värskendage lehte ja saatke vorm uuesti. Midagi ei muudetud.
error-timeout-unsure = See võttis liiga kaua aega, seega lõpetasime ootamise. Teie soov võis sellegipoolest täidetud saada.
error-timeout-unsure-next = Enne uuesti proovimist minge tagasi ja kontrollige, kas see on tehtud.
error-action-sign-in = Logi sisse
error-action-licenses = Ava oma litsentsid
error-action-eula = Loe litsentsilepingut
error-action-security = Ava „Sisselogimine ja turvalisus“
error-action-reset = Lähtesta parool
error-action-account = Ava oma konto
error-action-home = Mine avalehele
error-help-title = Ikka ei saa edasi?
error-help-text = Meie klienditugi saab aidata. Et veenduda, et see olete teie, küsitakse teilt klienditoe PIN-koodi.
error-help-link = Hankige klienditoe PIN-kood ja võtke ühendust klienditoega

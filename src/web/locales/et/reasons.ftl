# Why things were refused, worded for people.

## What happened, and the one thing to do next.

reason-validation_failed = Osa sisestatud andmetest ei ole päris õige.
reason-validation_failed-next = Kontrollige esile tõstetud välju ja proovige uuesti.
reason-invalid_credentials = E-posti aadress või parool ei ole õige.
reason-invalid_credentials-next = Kontrollige mõlemat ja proovige uuesti.
reason-step_up_failed = Me ei saanud kinnitada, et see olete teie, kuid te olete endiselt sisse logitud.
reason-step_up_failed-next = Kontrollige sisestatut ja proovige uuesti.
reason-mfa_required = Selleks on vaja tugevamat sisselogimist, kasutades seda viisi: { $factor }.
reason-mfa_required-next = Kinnitage selle abil oma isik või logige sellega uuesti sisse.
reason-factor_enrollment_required = Selleks on vaja midagi, mida teie kontol veel ei ole: { $factor }.
reason-factor_enrollment_required-next = Seadistage see esmalt oma kontol ja proovige siis uuesti.
reason-reauthentication_required = Teie turvalisuse huvides peame enne seda kontrollima, et see olete tõesti teie.
reason-reauthentication_required-next = Kinnitage oma isik ja proovige siis viie minuti jooksul uuesti.
reason-eula_acceptance_required = Enne jätkamist peate nõustuma litsentsilepingu uusima versiooniga.
reason-eula_acceptance_required-next = Lugege leping läbi, nõustuge sellega ja proovige siis uuesti.
reason-email_verification_required = Teie e-posti aadress on veel kinnitamata.
reason-email_verification_required-next = Avage link, mille teile e-postiga saatsime, või küsige uus.
reason-unauthorized = Te ei ole sisse logitud või on teie sisselogimine aegunud.
reason-unauthorized-next = Logige sisse ja proovige uuesti.
reason-forbidden = Teie kontol ei ole selleks õigust.
reason-forbidden-next = Kui arvate, et see on viga, võtke ühendust klienditoega.
reason-not_found = Seda lehte või kirjet ei ole olemas või see ei kuulu enam teile.
reason-not_found-next = Kontrollige linki, mida kasutasite, või minge tagasi oma kontole.
reason-method_not_allowed = Seda ei saa siit teha.
reason-method_not_allowed-next = Minge tagasi eelmisele lehele ja proovige uuesti.
reason-conflict = See on juba olemas või juba tehtud.
reason-conflict-next = Värskendage lehte, et näha praegust seisu.
reason-seat_limit_reached = Seda litsentsi kasutatakse juba nii paljudes seadmetes, kui see lubab.
reason-seat_limit_reached-next = Eemaldage lehel „Litsentsid“ seade, mida te enam ei kasuta, ja proovige siis uuesti.
reason-transfer_limit_reached = Seda litsentsi on 30 päeva jooksul seadmete vahel liigutatud nii sageli, kui see lubab.
reason-transfer_limit_reached-next = Kasutage praeguseid seadmeid või proovige uuesti { $wait } pärast. Kui seade läks katki, aitab klienditugi.
reason-license_suspended = See litsents on praegu peatatud.
reason-license_suspended-next = Lisateabe saamiseks võtke ühendust klienditoega.
reason-license_revoked = See litsents on tühistatud ja seda ei saa enam kasutada.
reason-license_revoked-next = Kui arvate, et see on viga, võtke ühendust klienditoega.
reason-license_expired = Selle litsentsi kehtivus on lõppenud.
reason-license_expired-next = Pikendage litsentsi, et seda edasi kasutada.
reason-activation_code_used = Seda aktiveerimiskoodi on juba kasutatud.
reason-activation_code_used-next = Kontrollige, kas sisestasite õige koodi, või võtke ühendust klienditoega, kui te ei kasutanud seda ise.
reason-lease_lapsed = See seade ei ole mõnda aega ühendust võtnud, seetõttu vabastati tema koht litsentsil.
reason-lease_lapsed-next = Aktiveerige litsents selles seadmes uuesti.
reason-factor_required_by_license = Teie litsents nõuab, et teie kontol oleks alati olemas: { $factor }.
reason-factor_required_by_license-next = Lisage enne selle eemaldamist veel üks samasugune sisselogimisviis.
reason-passkeys_unavailable = Pääsuvõtmeid ei saa sellel saidil praegu kasutada.
reason-passkeys_unavailable-next = Kasutage seni mõnda muud sisselogimisviisi.
reason-account_locked = Parool sisestati liiga mitu korda valesti, seetõttu on sellele kontole sisselogimine ajutiselt peatatud.
reason-account_locked-next = Oodake { $wait } ja proovige uuesti või lähtestage oma parool.
reason-rate_limited = Olete seda lühikese aja jooksul liiga palju kordi proovinud.
reason-rate_limited-next = Oodake { $wait } ja proovige uuesti.
reason-payload_too_large = Saadetu on liiga suur.
reason-payload_too_large-next = Tehke see lühemaks ja proovige uuesti.
reason-unsupported_media_type = Me ei suutnud lugeda seda, mida teie brauser saatis.
reason-unsupported_media_type-next = Värskendage lehte ja proovige uuesti.
reason-timeout = See võttis liiga kaua aega, seega katkestasime selle.
reason-timeout-next = Proovige hetke pärast uuesti.
reason-unavailable = Me ei saa seda praegu teha, sest osa meie teenusest ei tööta.
reason-unavailable-next = Proovige mõne minuti pärast uuesti.
reason-internal = Meie poolel läks midagi valesti.
reason-internal-next = Proovige hiljem uuesti ja kui viga kordub, võtke ühendust klienditoega.

## Something the person typed was refused.

refusal-password = See ei ole teie praegune parool.
refusal-totp_code = See kood ei ole õige; kontrollige, kas teie telefoni kellaaeg on õige.
refusal-recovery_code = See taastekood ei ole õige või on seda juba kasutatud.
refusal-passkey = Pääsuvõtit ei võetud vastu. Palun proovige uuesti.
refusal-possibly_cloned = See pääsuvõti paistab olevat kopeeritud, seetõttu keelasime sisselogimise. Palun võtke ühendust klienditoega.
refusal-no_attempts_left = Vastati liiga palju kordi valesti, seetõttu see sisselogimine lõpetati. Alustage uuesti oma parooliga.

## Activation codes.

code-unknown = Sellist aktiveerimiskoodi ei leitud. Võrrelge seda kviitungi või e-kirjaga, milles selle saite.
code-used_up = Seda aktiveerimiskoodi on juba kasutatud.

## Other refusals.

pending-gone = See sisselogimine on aegunud. Palun alustage uuesti.
account-same_email = See on juba teie e-posti aadress.
account-already_verified = Teie e-posti aadress on juba kinnitatud.
totp-already_set_up = Autentimisrakendus on juba seadistatud. Eemaldage see enne uue lisamist.
totp-nothing_to_confirm = Ükski autentimisrakendus ei oota kinnitamist.
passkey-already_registered = See pääsuvõti on teie kontole juba lisatud.
eula-already_decided = Olete lepingu sellele versioonile juba vastanud.
busy = Meil on praegu väga palju tegemist. Palun proovige minuti pärast uuesti.

## Sign-in methods, as { $factor }.

factor-second_factor = teine sisselogimise samm (autentimisrakendus või pääsuvõti)
factor-passkey = pääsuvõti

## Waits, as { $wait }.

wait-seconds = { $n ->
    [one] { $n } sekund
   *[other] { $n } sekundit
}
wait-minutes = { $n ->
    [one] { $n } minut
   *[other] { $n } minutit
}

## Under an input field.

rule-email-empty = Palun sisestage oma e-posti aadress.
rule-email-too_long = See e-posti aadress on liiga pikk.
rule-email-malformed = See ei näe välja nagu e-posti aadress; see peaks olema kujul name@example.com.
rule-email-invisible = Selles on nähtamatu või teksti suunda muutev märk; palun tippige see käsitsi uuesti.
rule-password-too_short = { $min ->
    [one] Palun sisestage vähemalt { $min } tähemärk.
   *[other] Palun sisestage vähemalt { $min } tähemärki.
}
rule-password-too_long = See on liiga pikk; palun valige lühem.
rule-code-wrong_length = { $n ->
    [one] Koodis on { $n } tähemärk; sidekriipse ja tühikuid ei arvestata.
   *[other] Koodis on { $n } tähemärki; sidekriipse ja tühikuid ei arvestata.
}
rule-code-bad_symbol = Märki „{ $symbol }“ koodides ei kasutata; palun kontrollige sisestatut.
rule-code-check_failed = Koodis on trükiviga: mõni märk on vale või kaks märki on omavahel vahetusse läinud.
rule-fingerprint-empty = See ei tohi olla tühi.
rule-fingerprint-too_long = See on liiga pikk.
rule-required = Palun täitke see väli.
rule-text = { $max ->
    [one] See ei tohi olla pikem kui { $max } tähemärk.
   *[other] See ei tohi olla pikem kui { $max } tähemärki.
}
rule-name = { $max ->
    [one] Palun sisestage täpselt { $max } tähemärk.
   *[other] Palun sisestage 1 kuni { $max } tähemärki.
}
rule-path_safe_name = { $max ->
    [one] Palun sisestage täpselt { $max } tähemärk, mis ei ole kaldkriips (/).
   *[other] Palun sisestage 1 kuni { $max } tähemärki, ilma kaldkriipsuta (/).
}
rule-bytes = { $max ->
    [one] See ei tohi olla tühi ega pikem kui { $max } bait.
   *[other] See ei tohi olla tühi ega pikem kui { $max } baiti.
}
rule-language_tag = Palun sisestage keelekood, näiteks en või de-CH.
rule-one_of = Palun valige üks järgmistest: { $words }.
rule-between = Palun sisestage täisarv vahemikus { $min } kuni { $max }.
rule-in_future = Palun valige tulevane aeg.
rule-unknown_policy = Selle nimega litsentsipoliitikat ei ole.
rule-perpetual_policy = See litsents ei aegu iseenesest, seega sisestage palun uus lõppkuupäev.
rule-unknown_audience = Selle nimega ühendatud teenust ei ole.
rule-not_published = See ei ole lepingu avaldatud versioon.
rule-hash_mismatch = Lepingu tekst on muutunud; palun värskendage lehte ja lugege tekst uuesti läbi.
rule-link_expired = See link on tundmatu, juba kasutatud või aegunud; palun küsige uus.
rule-removal_link_expired = See link ei kehti või on aegunud; seadmete haldamiseks logige sisse.
rule-second_factor_required = Palun kinnitage oma teise sisselogimise sammuga, mitte parooliga.
rule-not_a_credential = Me ei saanud pääsuvõtme vastusest aru; palun proovige uuesti.
rule-id = See viide ei kehti; palun kontrollige linki, mida kasutasite.
rule-no_control_characters = Selles on peidetud juhtmärke; palun tippige see käsitsi uuesti.

## Field names, for a summary of errors.

field-email = E-posti aadress
field-password = Parool
field-new_password = Uus parool
field-current_password = Praegune parool
field-activation_code = Aktiveerimiskood
field-code = Kood
field-name = Nimi
field-token = E-kirja link
field-fingerprint = Seadme tunnus
field-link = Link
field-decision = Teie vastus
field-credential = Pääsuvõti
field-body = Tekst
device-code-wrong = See kood ei ole õige või on aegunud. Kontrollige seadmel näidatud koodi ja sisestage see uuesti.

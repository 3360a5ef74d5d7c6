# Abi saamine: klienditoe PIN-kood, abividin ja avalik abileht.

## Klienditoe PIN-kood
support-title = Abi klienditoelt
support-pin-title = Klienditoe PIN-kood
support-pin-explain = Kui helistate või kirjutate meie klienditoele, küsivad nad klienditoe PIN-koodi, et veenduda, et see olete tõesti teie. Küsige see siit, kui nad seda paluvad.
support-pin-submit = Küsi klienditoe PIN-kood
support-pin-read-out = Öelge see PIN-kood klienditoe töötajale:
support-pin-label = Teie klienditoe PIN-kood:
support-pin-time-left = Aega jäänud:
support-pin-minutes = 10 minutit
support-pin-expired = aegunud — küsige uus PIN-kood
support-pin-valid-until = PIN-kood kehtib kuni { $time }.
support-pin-never-share = Andke see ainult meie klienditoele ja ainult siis, kui nendega suhtlete.
support-pin-again = Küsi uus PIN-kood
support-contact-title = Võtke ühendust klienditoega
support-contact-widget = Klienditoega vestlemiseks kasutage sellel lehel olevat abinuppu. See teab juba, kes te olete.
support-contact-open-chat = Ava vestlus
support-contact-help-page = Meie abileht vastab levinud küsimustele ja ütleb, kuidas klienditoega ühendust võtta.
support-contact-open-help = Ava abileht
support-contact-mail = Kirjutage meie klienditoele e-posti aadressil, mis on toote veebilehel või teie ostutšekil.

## Abileht
help-title = Abi
help-intro = Leidke allpool oma olukord.
help-vendor-page = Ava abileht
help-support-title = Rääkige klienditoega
help-support-text = Meie klienditugi küsib klienditoe PIN-koodi, et veenduda, et see olete tõesti teie. PIN-koodi saate oma konto klienditoe lehelt.
help-support-link = Küsi klienditoe PIN-kood
help-support-sign-in = Selleks peate esmalt sisse logima.
help-password-title = Unustasite parooli?
help-password-text = Saame teile saata lingi uue parooli valimiseks.
help-password-link = Lähtesta parool
help-device-title = Kaotasite telefoni või turvavõtme?
help-device-text = Logige sisse oma parooliga ja valige seejärel taastekoodi kasutamine. Need on koodid, mille salvestasite teise sisselogimise sammu seadistamisel.
help-device-no-codes = Taastekoode pole? Võtke ühendust meie klienditoega: nad kontrollivad teie isikut ja aitavad teid tagasi kontole.
help-sign-in = Logi sisse

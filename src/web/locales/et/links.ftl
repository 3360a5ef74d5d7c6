# Lehed, mille avavad meilis saadetud lingid: aadressi kinnitamine, uus parool, seadme eemaldamine.

## Aadressi kinnitamine
links-verify-title = Kinnitage oma e-posti aadress
links-expired-next = Iga meie e-kirjades olev link töötab ainult üks kord ja piiratud aja jooksul.
links-verify-explain = Avasite meie e-kirjas olnud lingi. Vajutage nuppu, et kinnitada, et see e-posti aadress kuulub teile.
links-verify-submit = Kinnitan oma e-posti aadressi
links-verify-not-you = Kui te ei loonud meie juures kontot, sulgege see leht. Midagi ei juhtu, kui te nuppu ei vajuta.
links-verify-new-link = Saatke mulle uus link
links-verify-sign-in-for-new = Logige sisse, et saada uus link
links-verified-title = Aadress on kinnitatud
links-verified-notice = Aitäh! Teie e-posti aadress on kinnitatud.
links-verified-continue = Jätka oma kontoga
links-verified-continue-activation = Jätka aktiveerimist
links-verified-sign-in = Logi sisse

## Unustatud parool
links-reset-request-title = Parooli lähtestamine
links-reset-request-explain = Sisestage oma konto e-posti aadress. Saadame teile lingi, millega saate valida uue parooli.
links-reset-email = E-posti aadress
links-reset-request-submit = Saatke mulle link
links-reset-back-to-sign-in = Tagasi sisselogimise juurde
links-reset-sent-title = Vaadake oma e-posti
links-reset-sent = Kui selle aadressiga konto on olemas, saatsime sellele lingi uue parooli valimiseks.
links-reset-sent-next = Avage link 30 minuti jooksul. See töötab ainult üks kord.
links-reset-sent-no-mail = Kirja pole mõne minuti pärast tulnud? Vaadake rämpsposti kausta või kontrollige, et sisestasite aadressi, millega registreerusite.
links-reset-new-title = Valige uus parool
links-reset-new-explain = Valige oma kontole uus parool. Teid logitakse välja kõigist teistest seadmetest.
links-reset-new-password = Uus parool
links-reset-new-submit = Salvesta uus parool
links-reset-ask-again = Küsi uut linki
links-reset-done-title = Parool on muudetud
links-reset-done-notice = Teie uus parool on salvestatud.
links-reset-done-next = Logige sisse uue parooliga. Kui olete seadistanud teise sisselogimise sammu, küsitakse ka seda endiselt.
links-reset-done-sign-in = Logi sisse

## Seadme eemaldamine
links-remove-title = Seadme eemaldamine
links-remove-explain = Avasite lingi meie e-kirjast, mis teatas uuest seadmest teie litsentsil. Vajutage nuppu, et see seade eemaldada: see ei saa enam toodet kasutada ja selle koht litsentsil vabaneb.
links-remove-device = See link eemaldab seadme „{ $device }” ({ $platform }).
links-remove-unnamed = nimeta seade
links-remove-already = See seade on teie litsentsilt juba eemaldatud. Rohkem pole vaja midagi teha.
links-remove-if-you = Kui aktiveerisite seadme ise, ei pea te midagi tegema. Midagi ei juhtu, kui te nuppu ei vajuta.
links-remove-submit = Eemalda see seade
links-remove-manage-hint = Pärast sisselogimist näete ka kõiki oma seadmeid.
links-remove-manage = Halda oma seadmeid
links-removed-title = Seade on eemaldatud
links-removed-notice = Seade on teie litsentsilt eemaldatud.
links-removed-next = Kui te seda ise ei aktiveerinud, võib keegi teine teie parooli teada. Logige sisse ja muutke see kohe.
links-removed-security = Ava sisselogimine ja turvalisus

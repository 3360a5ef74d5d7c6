# /activate: juhendatud sammud aktiveerimiskoodist töötava litsentsini.

activate-title = Aktiveerige oma litsents
activate-done-title = Teie litsents on valmis
activate-step-code = Sisestage aktiveerimiskood
activate-step-account = Looge konto või logige sisse
activate-step-email = Kinnitage oma e-posti aadress
activate-step-eula = Nõustuge litsentsilepinguga
activate-step-factor = Seadistage sisselogimise lisasamm
activate-step-license = Lisage litsents oma kontole
activate-step-done = Alustage toote kasutamist

activate-code-label = Aktiveerimiskood
activate-code-hint = 16 tähte ja numbrit, näiteks ABCD-EFGH-JKMN-PQRS. Selle leiate kviitungilt või ostuga kaasas olnud e-kirjast.
activate-code-typo = Selles koodis on trükiviga: üks märk on vale või kaks märki on vahetuses. Võrrelge seda kviitungiga.
activate-code-submit = Jätka

activate-account-intro = Litsents seotakse teie kontoga, nii et saate seda oma seadmetes kasutada ja võtme hiljem uuesti üles leida.
activate-account-new = Olete siin esimest korda?
activate-account-create = Loo konto ja lisa litsents
activate-account-existing = Kas teil on juba konto?
activate-account-existing-text = Logige sisse ja jõuate koos koodiga kohe siia tagasi.
activate-account-sign-in = Logi sisse ja jätka

activate-email-text = Saatsime lingi aadressile { $email }. Avage see, et aadress kinnitada, ja tulge siis sellele lehele tagasi.
activate-email-resend = Saada link uuesti
activate-email-sent = Saatsime lingi uuesti. Kohale jõudmine võib võtta paar minutit.

activate-eula-intro = Palun lugege läbi selle toote litsentsileping. Toodet saate kasutada pärast sellega nõustumist.
activate-eula-other-language = Seda lepingut teie keeles ei ole, seetõttu näidatakse seda keeles, milles see avaldati.
activate-eula-checkbox = Olen litsentsilepingu (versioon { $version }) läbi lugenud ja nõustun sellega.
activate-eula-accept = Nõustun litsentsilepinguga
activate-eula-untick = Te ei märkinud kasti.
activate-eula-untick-next = Märkige kast, et näidata oma nõusolekut, ja vajutage siis uuesti nuppu.

activate-factor-passkey = See litsents nõuab sisselogimisel pääsuvõtit. Pääsuvõti kasutab parooli asemel teie sõrmejälge, nägu või ekraaniluku koodi ning keegi ei saa teid seda välja petta.
activate-factor-passkey-go = Seadista pääsuvõti
activate-factor-totp = See litsents nõuab sisselogimisel teist sammu: koodi telefoni autentimisrakendusest või pääsuvõtit.
activate-factor-totp-go = Seadista teine samm
activate-factor-confirm = Enne litsentsi lisamist palub see litsents teil teise sisselogimise sammuga tõendada, et see olete teie.
activate-factor-confirm-go = Kinnitage, et see olete teie

activate-license-text = Kõik on valmis. Lisage selle koodi litsents oma kontole:
activate-license-submit = Lisa litsents minu kontole

activate-done-notice = Toote { $product } litsents on teie kontol.
activate-done-key = Teie litsentsivõti
activate-copy-key = Kopeeri võti
activate-copied = Kopeeritud
activate-done-next = Mida edasi teha
activate-done-open = Avage { $product } oma arvutis.
activate-done-sign-in = Logige seal selle kontoga sisse või valige litsentsivõtme sisestamine.
activate-done-paste = Kui valisite võtme, kleepige ülal olev võti. Ülejäänu teeb toode ise.
activate-done-licenses = Vaadake oma litsentse ja seadmeid
activate-expired-next = Küsige uut koodi poest või inimeselt, kellelt selle koodi saite.

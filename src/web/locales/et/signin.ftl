# Sisselogimise teine samm ja pääsuvõtmega sisselogimine.

signin-second-step-title = Veel üks samm
signin-second-step-intro = Parool oli õige. Nüüd kinnitage oma isik sisselogimise teise sammuga.
signin-continue = Jätka
signin-ended-next = Sisestage uuesti oma e-posti aadress ja parool.
signin-start-over = Alustage uuesti parooliga
signin-another-way = Kasutage muud viisi
signin-use-passkey = Kasutage hoopis pääsuvõtit
signin-use-totp = Kasutage hoopis autentimisrakendust
signin-use-recovery = Kasutage hoopis taastekoodi
signin-use-password = Kasutage hoopis parooli
signin-totp-label = Kood teie autentimisrakendusest
signin-totp-hint = Avage rakendus ja sisestage kuus numbrit, mida see selle konto juures näitab.
signin-recovery-label = Taastekood
signin-recovery-hint = Üks koodidest, mille salvestasite teise sammu seadistamisel, näiteks ABCDE-12345. Iga kood töötab üks kord.
signin-password-label = Teie parool
signin-passkey-explain = Kasutage selle seadme pääsuvõtit või oma turvavõtit. Seade küsib teie sõrmejälge, nägu või ekraanilukku.
signin-passkey-button = Kasutage pääsuvõtit
signin-passkey-missing = See brauser ei toeta pääsuvõtmeid. Kasutage allpool muud viisi või avage see leht uuemas brauseris.
signin-passkey-cancelled = Pääsuvõtit ei kasutatud. Proovige uuesti või kasutage muud viisi.
signin-passkey-failed = Pääsuvõtmega läks midagi valesti. Laadige leht uuesti ja proovige veel kord.

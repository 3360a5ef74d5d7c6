# Brauserita seadme (käsurea, teleri) sisselogimise kinnitamine koodiga.

device-title = Seadme ühendamine
device-intro = Sisestage kood, mida teie seade näitab. See näeb välja nagu BCDF-GHJK.
device-code-label = Kood teie seadmelt
device-continue = Jätka
device-approve-title = Kas logida { $app } teie seadmes sisse?
device-asked = Päring tuli { $when } võrguaadressilt { $ip }.
device-asked-no-ip = Päring tuli { $when }.
device-warning = Kinnitage ainult siis, kui alustasite seda just praegu oma seadmes. Kui keegi saatis teile selle koodi või palus teil selle sisestada, ärge kinnitage: ta pääseks teie kontole.
device-allow = Kinnita
device-deny = Keeldu
device-approved-title = Teie seade on sisse logitud
device-approved-text = Minge tagasi rakendusse { $app } oma seadmes: see jätkab ise.
device-denied-title = Päringust keelduti
device-denied-text = { $app } ei logitud sisse. Võite selle lehe sulgeda.

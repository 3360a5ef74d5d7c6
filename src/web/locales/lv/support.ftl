# Palīdzības saņemšana: atbalsta PIN kods, palīdzības logrīks un publiskā palīdzības lapa.

## Atbalsta PIN kods
support-title = Palīdzība no atbalsta dienesta
support-pin-title = Atbalsta PIN kods
support-pin-explain = Kad jūs zvanāt vai rakstāt mūsu atbalsta dienestam, tas prasa atbalsta PIN kodu, lai pārliecinātos, ka tiešām esat jūs. Saņemiet to šeit, kad tas tiek prasīts.
support-pin-submit = Saņemt atbalsta PIN kodu
support-pin-read-out = Nolasiet šo PIN kodu atbalsta dienesta darbiniekam:
support-pin-label = Jūsu atbalsta PIN kods:
support-pin-time-left = Atlikušais laiks:
support-pin-minutes = 10 minūtes
support-pin-expired = beidzies — saņemiet jaunu PIN kodu
support-pin-valid-until = PIN kods ir derīgs līdz { $time }.
support-pin-never-share = Sniedziet to tikai mūsu atbalsta dienestam un tikai sarunas laikā ar to.
support-pin-again = Saņemt jaunu PIN kodu
support-contact-title = Sazināties ar atbalsta dienestu
support-contact-widget = Lai sarakstītos ar mūsu atbalsta dienestu, izmantojiet šajā lapā esošo palīdzības pogu. Tā jau zina, kas jūs esat.
support-contact-open-chat = Atvērt tērzēšanu
support-contact-help-page = Mūsu palīdzības lapā ir atbildes uz biežākajiem jautājumiem un norādīts, kā sazināties ar atbalsta dienestu.
support-contact-open-help = Atvērt palīdzības lapu
support-contact-mail = Rakstiet mūsu atbalsta dienestam uz e-pasta adresi, kas norādīta produkta tīmekļa vietnē vai jūsu pirkuma čekā.

## Palīdzības lapa
help-title = Palīdzība
help-intro = Atrodiet savu situāciju tālāk.
help-vendor-page = Atvērt palīdzības lapu
help-support-title = Sazinieties ar atbalsta dienestu
help-support-text = Mūsu atbalsta dienests prasa atbalsta PIN kodu, lai pārliecinātos, ka tiešām esat jūs. PIN kodu saņemsiet sava konta atbalsta lapā.
help-support-link = Saņemt atbalsta PIN kodu
help-support-sign-in = Vispirms jums jāpiesakās.
help-password-title = Aizmirsāt paroli?
help-password-text = Mēs varam nosūtīt jums saiti jaunas paroles izvēlei.
help-password-link = Atiestatīt paroli
help-device-title = Pazaudējāt tālruni vai drošības atslēgu?
help-device-text = Piesakieties ar savu paroli un pēc tam izvēlieties izmantot atkopšanas kodu. Tie ir kodi, ko saglabājāt, iestatot otro pieteikšanās soli.
help-device-no-codes = Nav atkopšanas kodu? Sazinieties ar mūsu atbalsta dienestu: tas pārbaudīs jūsu identitāti un palīdzēs jums atgūt piekļuvi.
help-sign-in = Pieteikties

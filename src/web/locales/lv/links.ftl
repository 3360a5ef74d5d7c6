# Lapas, ko atver e-pastā nosūtītās saites: adreses apstiprināšana, jauna parole, ierīces noņemšana.

## Adreses apstiprināšana
links-verify-title = Apstipriniet savu e-pasta adresi
links-expired-next = Katra saite mūsu e-pasta vēstulēs darbojas tikai vienu reizi un tikai ierobežotu laiku.
links-verify-explain = Jūs atvērāt saiti no mūsu e-pasta vēstules. Nospiediet pogu, lai apstiprinātu, ka šī e-pasta adrese pieder jums.
links-verify-submit = Apstiprināt manu e-pasta adresi
links-verify-not-you = Ja jūs neesat izveidojis kontu pie mums, aizveriet šo lapu. Nekas nenotiks, ja nenospiedīsiet pogu.
links-verify-new-link = Nosūtīt man jaunu saiti
links-verify-sign-in-for-new = Piesakieties, lai saņemtu jaunu saiti
links-verified-title = Adrese apstiprināta
links-verified-notice = Paldies! Jūsu e-pasta adrese ir apstiprināta.
links-verified-continue = Turpināt uz jūsu kontu
links-verified-continue-activation = Turpināt aktivizēšanu
links-verified-sign-in = Pieteikties

## Aizmirsta parole
links-reset-request-title = Paroles atiestatīšana
links-reset-request-explain = Ievadiet sava konta e-pasta adresi. Mēs nosūtīsim jums saiti, ar kuru varēsiet izvēlēties jaunu paroli.
links-reset-email = E-pasta adrese
links-reset-request-submit = Nosūtīt man saiti
links-reset-back-to-sign-in = Atpakaļ uz pieteikšanos
links-reset-sent-title = Pārbaudiet savu e-pastu
links-reset-sent = Ja ar šo adresi ir reģistrēts konts, mēs uz to nosūtījām saiti jaunas paroles izvēlei.
links-reset-sent-next = Atveriet saiti 30 minūšu laikā. Tā darbojas tikai vienu reizi.
links-reset-sent-no-mail = Pēc dažām minūtēm vēstule nav pienākusi? Pārbaudiet surogātpasta mapi vai to, vai ievadījāt adresi, ar kuru reģistrējāties.
links-reset-new-title = Izvēlieties jaunu paroli
links-reset-new-explain = Izvēlieties savam kontam jaunu paroli. Visās citās ierīcēs jūs tiksiet izrakstīts.
links-reset-new-password = Jaunā parole
links-reset-new-submit = Saglabāt jauno paroli
links-reset-ask-again = Pieprasīt jaunu saiti
links-reset-done-title = Parole nomainīta
links-reset-done-notice = Jūsu jaunā parole ir saglabāta.
links-reset-done-next = Piesakieties ar jauno paroli. Ja esat iestatījis otru pieteikšanās soli, tas joprojām tiks prasīts.
links-reset-done-sign-in = Pieteikties

## Ierīces noņemšana
links-remove-title = Ierīces noņemšana
links-remove-explain = Jūs atvērāt saiti no mūsu vēstules par jaunu ierīci jūsu licencē. Nospiediet pogu, lai noņemtu šo ierīci: tā vairs nevarēs izmantot produktu, un tās vieta licencē atbrīvosies.
links-remove-device = Šī saite noņem ierīci “{ $device }” ({ $platform }).
links-remove-unnamed = ierīce bez nosaukuma
links-remove-already = Šī ierīce jau ir noņemta no jūsu licences. Vairāk nekas nav jādara.
links-remove-if-you = Ja ierīci aktivizējāt jūs pats, jums nekas nav jādara. Nekas nenotiks, ja nenospiedīsiet pogu.
links-remove-submit = Noņemt šo ierīci
links-remove-manage-hint = Pēc pieteikšanās varat redzēt arī visas savas ierīces.
links-remove-manage = Pārvaldīt savas ierīces
links-removed-title = Ierīce noņemta
links-removed-notice = Ierīce ir noņemta no jūsu licences.
links-removed-next = Ja jūs to neaktivizējāt, kāds cits, iespējams, zina jūsu paroli. Piesakieties un nomainiet to tūlīt.
links-removed-security = Atvērt pieteikšanos un drošību

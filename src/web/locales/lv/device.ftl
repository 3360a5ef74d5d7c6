# Pieteikšanās apstiprināšana ierīcei bez pārlūka (komandrindai, televizoram) ar kodu.

device-title = Ierīces pievienošana
device-intro = Ievadiet kodu, ko rāda jūsu ierīce. Tas izskatās šādi: BCDF-GHJK.
device-code-label = Kods no jūsu ierīces
device-continue = Turpināt
device-approve-title = Vai pieteikt { $app } jūsu ierīcē?
device-asked = Pieprasījums tika saņemts { $when } no tīkla adreses { $ip }.
device-asked-no-ip = Pieprasījums tika saņemts { $when }.
device-warning = Apstipriniet tikai tad, ja tikko paši to sākāt savā ierīcē. Ja kāds jums nosūtīja šo kodu vai lūdza to ievadīt, neapstipriniet: viņš iegūtu piekļuvi jūsu kontam.
device-allow = Apstiprināt
device-deny = Noraidīt
device-approved-title = Jūsu ierīce ir pieteikta
device-approved-text = Atgriezieties lietotnē { $app } savā ierīcē: tā turpinās pati.
device-denied-title = Pieprasījums tika noraidīts
device-denied-text = { $app } netika pieteikta. Varat aizvērt šo lapu.

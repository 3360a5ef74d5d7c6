# Licences līguma lapa: ko pieņemt un kas ir izlemts.

eula-title = Licences līgums
eula-pending-intro = Lūdzu, izlasiet tālāk redzamo licences līgumu. Produktu varēsiet izmantot pēc tam, kad būsiet to pieņēmis.
eula-nothing-pending = Jūs esat pieņēmis visus licences līgumus, kas nepieciešami jūsu licencēm. Šeit nekas nav jādara.
eula-back-to-account = Atpakaļ uz jūsu kontu
eula-version-of = { $product }, versija { $version }
eula-fallback-note = Šis līgums vēl nav pieejams jūsu valodā, tāpēc tas ir parādīts šajā valodā: { $language }.
eula-agree-label = Esmu izlasījis un pieņemu produkta { $product } licences līguma versiju { $version }.
eula-accept-submit = Pieņemt līgumu
eula-accept-means = Nospiežot pogu, mēs reģistrējam, ka jūs pieņēmāt tieši šo tekstu, kopā ar datumu, laiku un pieteikšanās veidu.
eula-tick-first = Atzīmējiet izvēles rūtiņu, lai apstiprinātu, ka pieņemat līgumu.
eula-accepted-notice = Paldies! Jūsu piekrišana ir reģistrēta.
eula-history-title = Jūsu lēmumi
eula-history-empty = Jūs vēl neesat pieņēmis lēmumu par nevienu licences līgumu.
eula-col-version = Līgums
eula-col-decision = Lēmums
eula-col-when = Kad
eula-col-how = Pieteikšanās veids
eula-decision-accepted = Pieņemts
eula-decision-declined = Noraidīts
eula-decision-withdrawn = Atsaukts
eula-how-password = parole
eula-how-code = vienreizējais kods
eula-how-passkey = piekļuves atslēga
eula-how-unknown = nav reģistrēts

# Litsentsilepingu leht: mida nõustuda ja mida on otsustatud.

eula-title = Litsentsileping
eula-pending-intro = Palun lugege allolev litsentsileping läbi. Toodet saate kasutada pärast sellega nõustumist.
eula-nothing-pending = Olete nõustunud kõigi litsentsilepingutega, mida teie litsentsid nõuavad. Siin pole midagi teha.
eula-back-to-account = Tagasi oma konto juurde
eula-version-of = { $product }, versioon { $version }
eula-fallback-note = See leping pole veel teie keeles saadaval, seetõttu on see näidatud keeles: { $language }.
eula-agree-label = Olen lugenud toote { $product } litsentsilepingu versiooni { $version } ja nõustun sellega.
eula-accept-submit = Nõustun lepinguga
eula-accept-means = Nupule vajutades salvestame, et nõustusite just selle tekstiga, koos kuupäeva, kellaaja ja sisselogimise viisiga.
eula-tick-first = Märkige ruut, et kinnitada oma nõusolekut lepinguga.
eula-accepted-notice = Aitäh! Teie nõusolek on salvestatud.
eula-history-title = Teie otsused
eula-history-empty = Te pole veel ühegi litsentsilepingu kohta otsust teinud.
eula-col-version = Leping
eula-col-decision = Otsus
eula-col-when = Millal
eula-col-how = Sisselogimise viis
eula-decision-accepted = Nõustutud
eula-decision-declined = Keeldutud
eula-decision-withdrawn = Tagasi võetud
eula-how-password = parool
eula-how-code = ühekordne kood
eula-how-passkey = pääsuvõti
eula-how-unknown = pole salvestatud

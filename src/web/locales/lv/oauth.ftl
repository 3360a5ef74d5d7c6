# Lietotnes, kas piesaka lietotāju (OAuth): piekrišana, prasības un ceļš atpakaļ.

oauth-title = Pieteikšanās lietotnē { $app }
oauth-as = Jūs esat pieteicies kā { $email }.
oauth-wants = { $app } saņems
oauth-scope-openid = kas jūs esat (jūsu konta numuru)
oauth-scope-email = jūsu e-pasta adresi
oauth-scope-profile = jūsu vārdu
oauth-scope-license = jūsu licences produktam { $product }
oauth-scope-offline_access = palikt pieteiktam, līdz izrakstāties no lietotnes
oauth-only-if-you-started = Turpiniet tikai tad, ja tikko paši sākāt pieteikties lietotnē { $app }.
oauth-allow = Atļaut un turpināt
oauth-deny = Atcelt
oauth-bad-link-title = Šī pieteikšanās saite nedarbojas
oauth-bad-link-what = Lietotne jūs šeit nosūtīja ar saiti, ko nevaram izmantot.
oauth-bad-link-next = Atgriezieties lietotnē un sāciet pieteikties vēlreiz. Ja tas atkārtojas, sazinieties ar lietotnes izstrādātāju.
oauth-needs-title = Pirms { $app } var jūs pieteikt
oauth-needs-retry = Esmu to izdarījis: turpināt uz { $app }
oauth-returning-title = Atpakaļ uz { $app }
oauth-declined-title = Jūs atcēlāt pieteikšanos lietotnē { $app }
oauth-returning-text = Ja { $app } neatveras pati, nospiediet pogu.
oauth-returning-link = Atvērt { $app }

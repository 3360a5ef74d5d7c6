# Rakendused, mis logivad kasutaja sisse (OAuth): nõusolek, nõuded ja tagasitee.

oauth-title = Sisselogimine rakendusse { $app }
oauth-as = Olete sisse logitud kui { $email }.
oauth-wants = { $app } saab teada
oauth-scope-openid = kes te olete (teie konto number)
oauth-scope-email = teie e-posti aadressi
oauth-scope-profile = teie nime
oauth-scope-license = teie litsentsid tootele { $product }
oauth-scope-offline_access = jääda sisselogituks, kuni te rakendusest välja logite
oauth-only-if-you-started = Jätkake ainult siis, kui alustasite ise just praegu sisselogimist rakendusse { $app }.
oauth-allow = Luba ja jätka
oauth-deny = Loobu
oauth-bad-link-title = See sisselogimislink ei tööta
oauth-bad-link-what = Rakendus saatis teid siia lingiga, mida me ei saa kasutada.
oauth-bad-link-next = Minge tagasi rakendusse ja alustage sisselogimist uuesti. Kui see kordub, võtke ühendust rakenduse tegijaga.
oauth-needs-title = Enne kui { $app } saab teid sisse logida
oauth-needs-retry = Tegin seda: jätka rakendusse { $app }
oauth-returning-title = Tagasi rakendusse { $app }
oauth-declined-title = Loobusite sisselogimisest rakendusse { $app }
oauth-returning-text = Kui { $app } ei avane ise, vajutage nuppu.
oauth-returning-link = Ava { $app }

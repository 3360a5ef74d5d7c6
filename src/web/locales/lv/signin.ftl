# Pierakstīšanās otrais solis un pierakstīšanās ar piekļuves atslēgu.

signin-second-step-title = Vēl viens solis
signin-second-step-intro = Parole bija pareiza. Tagad apstipriniet, ka tas esat jūs, ar pierakstīšanās otro soli.
signin-continue = Turpināt
signin-ended-next = Ievadiet vēlreiz savu e-pasta adresi un paroli.
signin-start-over = Sākt no jauna ar paroli
signin-another-way = Izmantot citu veidu
signin-use-passkey = Izmantot piekļuves atslēgu
signin-use-totp = Izmantot autentifikācijas lietotni
signin-use-recovery = Izmantot atkopšanas kodu
signin-use-password = Izmantot paroli
signin-totp-label = Kods no jūsu autentifikācijas lietotnes
signin-totp-hint = Atveriet lietotni un ievadiet sešus ciparus, ko tā rāda šim kontam.
signin-recovery-label = Atkopšanas kods
signin-recovery-hint = Viens no kodiem, ko saglabājāt, iestatot otro soli, piemēram, ABCDE-12345. Katrs kods der vienu reizi.
signin-password-label = Jūsu parole
signin-passkey-explain = Izmantojiet šīs ierīces piekļuves atslēgu vai savu drošības atslēgu. Ierīce prasīs jūsu pirkstu nospiedumu, seju vai ekrāna bloķēšanu.
signin-passkey-button = Izmantot piekļuves atslēgu
signin-passkey-missing = Šī pārlūkprogramma nevar izmantot piekļuves atslēgas. Izmantojiet citu veidu zemāk vai atveriet šo lapu jaunākā pārlūkprogrammā.
signin-passkey-cancelled = Piekļuves atslēga netika izmantota. Mēģiniet vēlreiz vai izmantojiet citu veidu.
signin-passkey-failed = Ar piekļuves atslēgu kaut kas nogāja greizi. Pārlādējiet lapu un mēģiniet vēlreiz.

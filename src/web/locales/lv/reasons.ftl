# Why things were refused, worded for people.

## What happened, and the one thing to do next.

reason-validation_failed = Daži ievadītie dati nav gluži pareizi.
reason-validation_failed-next = Pārbaudiet iezīmētos laukus un mēģiniet vēlreiz.
reason-invalid_credentials = E-pasta adrese vai parole nav pareiza.
reason-invalid_credentials-next = Pārbaudiet abas un mēģiniet vēlreiz.
reason-step_up_failed = Mums neizdevās apstiprināt, ka tas esat jūs, taču jūsu pieteikšanās joprojām ir spēkā.
reason-step_up_failed-next = Pārbaudiet ievadīto un mēģiniet vēlreiz.
reason-mfa_required = Šim nolūkam nepieciešama drošāka pieteikšanās, izmantojot šo veidu: { $factor }.
reason-mfa_required-next = Apstipriniet savu identitāti ar to vai piesakieties no jauna, to izmantojot.
reason-factor_enrollment_required = Šim nolūkam nepieciešams kaut kas, kā jūsu kontā vēl nav: { $factor }.
reason-factor_enrollment_required-next = Vispirms iestatiet to savā kontā un tad mēģiniet vēlreiz.
reason-reauthentication_required = Jūsu drošības labad mums vispirms jāpārliecinās, ka tas tiešām esat jūs.
reason-reauthentication_required-next = Apstipriniet savu identitāti un piecu minūšu laikā mēģiniet vēlreiz.
reason-eula_acceptance_required = Pirms turpināt, jums jāpieņem licences līguma jaunākā versija.
reason-eula_acceptance_required-next = Izlasiet līgumu, pieņemiet to un tad mēģiniet vēlreiz.
reason-email_verification_required = Jūsu e-pasta adrese vēl nav apstiprināta.
reason-email_verification_required-next = Atveriet saiti, ko nosūtījām uz jūsu e-pastu, vai pieprasiet jaunu.
reason-unauthorized = Lai turpinātu, jums ir jāpiesakās (vai jāpiesakās vēlreiz).
reason-unauthorized-next = Piesakieties un mēģiniet vēlreiz.
reason-forbidden = Jūsu kontam nav atļauts to darīt.
reason-forbidden-next = Ja domājat, ka tā ir kļūda, sazinieties ar atbalsta dienestu.
reason-not_found = Šī lapa vai vienums neeksistē vai vairs nepieder jums.
reason-not_found-next = Pārbaudiet saiti, pa kuru atnācāt, vai atgriezieties savā kontā.
reason-method_not_allowed = To nevar izdarīt no šejienes.
reason-method_not_allowed-next = Atgriezieties iepriekšējā lapā un mēģiniet vēlreiz.
reason-conflict = Tas jau pastāv vai jau ir izdarīts.
reason-conflict-next = Pārlādējiet lapu, lai redzētu pašreizējo stāvokli.
reason-seat_limit_reached = Šī licence jau tiek izmantota tik daudzās ierīcēs, cik tā atļauj.
reason-seat_limit_reached-next = Lapā „Licences“ noņemiet ierīci, ko vairs neizmantojat, un tad mēģiniet vēlreiz.
reason-transfer_limit_reached = Šī licence 30 dienās ir pārvietota starp ierīcēm tik bieži, cik tā atļauj.
reason-transfer_limit_reached-next = Turpiniet izmantot esošās ierīces vai mēģiniet vēlreiz pēc { $wait }. Ja ierīce sabojājās, palīdzēs atbalsta dienests.
reason-license_suspended = Šīs licences darbība pašlaik ir apturēta.
reason-license_suspended-next = Lai uzzinātu vairāk, sazinieties ar atbalsta dienestu.
reason-license_revoked = Šī licence ir atsaukta, un to vairs nevar izmantot.
reason-license_revoked-next = Ja domājat, ka tā ir kļūda, sazinieties ar atbalsta dienestu.
reason-license_expired = Šīs licences derīguma termiņš ir beidzies.
reason-license_expired-next = Atjaunojiet licenci, lai to varētu izmantot arī turpmāk.
reason-activation_code_used = Šis aktivizācijas kods jau ir izmantots.
reason-activation_code_used-next = Pārbaudiet, vai ievadījāt pareizo kodu, vai arī sazinieties ar atbalsta dienestu, ja jūs to neizmantojāt.
reason-lease_lapsed = Šī ierīce kādu laiku nav sazinājusies ar mums, tāpēc tās vieta licencē tika atbrīvota.
reason-lease_lapsed-next = Aktivizējiet licenci šajā ierīcē vēlreiz.
reason-factor_required_by_license = Jūsu licence prasa, lai jūsu kontā vienmēr būtu: { $factor }.
reason-factor_required_by_license-next = Pirms noņemat šo pieteikšanās veidu, pievienojiet vēl vienu tādu pašu.
reason-passkeys_unavailable = Piekļuves atslēgas šajā vietnē pašlaik nevar izmantot.
reason-passkeys_unavailable-next = Pagaidām izmantojiet citu pieteikšanās veidu.
reason-account_locked = Pārāk daudz reižu tika ievadīta nepareiza parole, tāpēc pieteikšanās šajā kontā uz laiku ir bloķēta.
reason-account_locked-next = Pēc brīža mēģiniet vēlreiz (gaidīšanas laiks: { $wait }) vai atiestatiet paroli.
reason-rate_limited = Īsā laikā ir bijis pārāk daudz mēģinājumu.
reason-rate_limited-next = Pēc brīža mēģiniet vēlreiz (gaidīšanas laiks: { $wait }).
reason-payload_too_large = Nosūtītais ir pārāk liels.
reason-payload_too_large-next = Saīsiniet to un mēģiniet vēlreiz.
reason-unsupported_media_type = Mēs nevarējām nolasīt to, ko nosūtīja jūsu pārlūkprogramma.
reason-unsupported_media_type-next = Pārlādējiet lapu un mēģiniet vēlreiz.
reason-timeout = Tas aizņēma pārāk ilgu laiku, tāpēc mēs to pārtraucām.
reason-timeout-next = Pēc brīža mēģiniet vēlreiz.
reason-unavailable = Mēs to pašlaik nevaram izdarīt, jo daļa mūsu pakalpojuma nedarbojas.
reason-unavailable-next = Mēģiniet vēlreiz pēc dažām minūtēm.
reason-internal = Mūsu pusē kaut kas nogāja greizi.
reason-internal-next = Mēģiniet vēlreiz vēlāk, un, ja kļūda atkārtojas, sazinieties ar atbalsta dienestu.

## Something the person typed was refused.

refusal-password = Šī nav jūsu pašreizējā parole.
refusal-totp_code = Kods nav pareizs; pārbaudiet, vai jūsu tālrunī ir iestatīts pareizs laiks.
refusal-recovery_code = Šis atkopšanas kods nav pareizs vai jau ir izmantots.
refusal-passkey = Piekļuves atslēga netika pieņemta. Lūdzu, mēģiniet vēlreiz.
refusal-possibly_cloned = Šķiet, ka šī piekļuves atslēga ir nokopēta, tāpēc pieteikšanās tika atteikta. Lūdzu, sazinieties ar atbalsta dienestu.
refusal-no_attempts_left = Pārāk daudz nepareizu atbilžu, tāpēc šī pieteikšanās ir pārtraukta. Sāciet no jauna ar savu paroli.

## Activation codes.

code-unknown = Šāds aktivizācijas kods netika atrasts. Salīdziniet to ar čeku vai e-pasta vēstuli, kurā to saņēmāt.
code-used_up = Šis aktivizācijas kods jau ir izmantots.

## Other refusals.

pending-gone = Šīs pieteikšanās laiks ir beidzies. Lūdzu, sāciet no jauna.
account-same_email = Šī jau ir jūsu e-pasta adrese.
account-already_verified = Jūsu e-pasta adrese jau ir apstiprināta.
totp-already_set_up = Autentifikācijas lietotne jau ir iestatīta. Noņemiet to, pirms pievienojat citu.
totp-nothing_to_confirm = Nav nevienas autentifikācijas lietotnes, kas gaidītu apstiprināšanu.
passkey-already_registered = Šī piekļuves atslēga jau ir pievienota jūsu kontam.
eula-already_decided = Atbilde uz šo līguma versiju jau ir sniegta.
busy = Mēs šobrīd esam ļoti noslogoti. Lūdzu, mēģiniet vēlreiz pēc minūtes.

## Sign-in methods, as { $factor }.

factor-second_factor = otrs pieteikšanās solis (autentifikācijas lietotne vai piekļuves atslēga)
factor-passkey = piekļuves atslēga

## Waits, as { $wait }.

wait-seconds = { $n ->
    [zero] { $n } sekundes
    [one] { $n } sekunde
   *[other] { $n } sekundes
}
wait-minutes = { $n ->
    [zero] { $n } minūtes
    [one] { $n } minūte
   *[other] { $n } minūtes
}

## Under an input field.

rule-email-empty = Lūdzu, ievadiet savu e-pasta adresi.
rule-email-too_long = Šī e-pasta adrese ir pārāk gara.
rule-email-malformed = Tas neizskatās pēc e-pasta adreses; tai jāizskatās, piemēram, šādi: name@example.com.
rule-email-invisible = Tajā ir neredzama vai teksta virzienu mainoša rakstzīme; lūdzu, ierakstiet to vēlreiz ar tastatūru.
rule-password-too_short = { $min ->
    [zero] Lūdzu, ievadiet vismaz { $min } rakstzīmes.
    [one] Lūdzu, ievadiet vismaz { $min } rakstzīmi.
   *[other] Lūdzu, ievadiet vismaz { $min } rakstzīmes.
}
rule-password-too_long = Tā ir pārāk gara; lūdzu, izvēlieties īsāku.
rule-code-wrong_length = { $n ->
    [zero] Kodā ir { $n } rakstzīmes; defises un atstarpes netiek ņemtas vērā.
    [one] Kodā ir { $n } rakstzīme; defises un atstarpes netiek ņemtas vērā.
   *[other] Kodā ir { $n } rakstzīmes; defises un atstarpes netiek ņemtas vērā.
}
rule-code-bad_symbol = Rakstzīme „{ $symbol }“ kodos netiek izmantota; lūdzu, pārbaudiet ievadīto.
rule-code-check_failed = Kodā ir drukas kļūda: kāda rakstzīme ir nepareiza vai divas ir samainītas vietām.
rule-fingerprint-empty = Šis lauks nedrīkst būt tukšs.
rule-fingerprint-too_long = Šī vērtība ir pārāk gara.
rule-required = Lūdzu, aizpildiet šo lauku.
rule-text = { $max ->
    [zero] Lūdzu, ievadiet ne vairāk kā { $max } rakstzīmes.
    [one] Lūdzu, ievadiet ne vairāk kā { $max } rakstzīmi.
   *[other] Lūdzu, ievadiet ne vairāk kā { $max } rakstzīmes.
}
rule-name = { $max ->
    [zero] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmēm.
    [one] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmei.
   *[other] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmēm.
}
rule-path_safe_name = { $max ->
    [zero] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmēm, neizmantojot slīpsvītru (/).
    [one] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmei, neizmantojot slīpsvītru (/).
   *[other] Lūdzu, ievadiet no 1 līdz { $max } rakstzīmēm, neizmantojot slīpsvītru (/).
}
rule-bytes = { $max ->
    [zero] Šis lauks nedrīkst būt tukšs, un tā saturs nedrīkst pārsniegt { $max } baitus.
    [one] Šis lauks nedrīkst būt tukšs, un tā saturs nedrīkst pārsniegt { $max } baitu.
   *[other] Šis lauks nedrīkst būt tukšs, un tā saturs nedrīkst pārsniegt { $max } baitus.
}
rule-language_tag = Lūdzu, ievadiet valodas kodu, piemēram, en vai de-CH.
rule-one_of = Lūdzu, izvēlieties vienu no šiem: { $words }.
rule-between = Lūdzu, ievadiet veselu skaitli no { $min } līdz { $max }.
rule-in_future = Lūdzu, izvēlieties laiku nākotnē.
rule-unknown_policy = Nav licences politikas ar šādu nosaukumu.
rule-perpetual_policy = Šī licence pati no sevis nebeidzas, tāpēc, lūdzu, norādiet jauno beigu datumu.
rule-unknown_audience = Nav pievienota pakalpojuma ar šādu nosaukumu.
rule-not_published = Šī nav publicēta līguma versija.
rule-hash_mismatch = Līguma teksts ir mainījies; lūdzu, pārlādējiet lapu un izlasiet to vēlreiz.
rule-link_expired = Šī saite nav atpazīta, jau ir izmantota vai vairs nav derīga; lūdzu, pieprasiet jaunu.
rule-removal_link_expired = Šī saite nav derīga vai tās derīguma termiņš ir beidzies; piesakieties, lai pārvaldītu savas ierīces.
rule-second_factor_required = Lūdzu, apstipriniet ar savu otro pieteikšanās soli, nevis ar paroli.
rule-not_a_credential = Mēs nesapratām piekļuves atslēgas atbildi; lūdzu, mēģiniet vēlreiz.
rule-id = Šī atsauce nav derīga; lūdzu, pārbaudiet saiti, pa kuru atnācāt.
rule-no_control_characters = Tajā ir slēptas vadības rakstzīmes; lūdzu, ievadiet to vēlreiz ar tastatūru.

## Field names, for a summary of errors.

field-email = E-pasta adrese
field-password = Parole
field-new_password = Jaunā parole
field-current_password = Pašreizējā parole
field-activation_code = Aktivizācijas kods
field-code = Kods
field-name = Nosaukums
field-token = Saite no e-pasta
field-fingerprint = Ierīces identifikators
field-link = Saite
field-decision = Jūsu atbilde
field-credential = Piekļuves atslēga
field-body = Teksts
device-code-wrong = Šis kods nav pareizs vai ir beidzies. Pārbaudiet ierīcē redzamo kodu un ievadiet to vēlreiz.

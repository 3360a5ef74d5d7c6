# Katras lapas redzamais ietvars, pieteikšanās un reģistrēšanās, konta pārskats, kļūdu lapas.

## Layout
layout-skip = Pāriet uz saturu
layout-languages = Valoda
layout-help = Palīdzība
layout-need-help = Vajadzīga palīdzība?
layout-sign-out = Iziet
checklist-done = izdarīts

## Sign in
sign-in-title = Pieteikšanās
sign-in-email = E-pasta adrese
sign-in-password = Parole
sign-in-submit = Pieteikties
sign-in-forgot = Aizmirsāt paroli?
sign-in-with-passkey = Pieteikties ar piekļuves atslēgu
sign-in-no-account = Esat šeit pirmo reizi?
sign-in-create-account = Izveidot kontu

## Sign up
sign-up-title = Izveidojiet savu kontu
sign-up-email = E-pasta adrese
sign-up-password = Izvēlieties paroli
sign-up-password-hint = Vismaz 10 rakstzīmes. Dažus savstarpēji nesaistītus vārdus ir viegli atcerēties un grūti uzminēt.
sign-up-name = Jūsu vārds (nav obligāts)
sign-up-code = Aktivizācijas kods (nav obligāts)
sign-up-code-hint = Ja iegādājāties licenci, kods ir norādīts čekā vai e-pasta vēstulē, ko saņēmāt kopā ar to.
sign-up-submit = Izveidot kontu
sign-up-have-account = Jums jau ir konts?
sign-up-sign-in = Pieteikties
sign-up-check-title = Pārbaudiet savu e-pastu
sign-up-sent = Mēs nosūtījām vēstuli uz adresi { $email }.
sign-up-sent-next = Atveriet tajā esošo saiti, lai apstiprinātu savu adresi. Pēc tam piesakieties ar tikko izvēlēto paroli.
sign-up-continue = Pieteikties
sign-up-no-mail = Vēstule nav pienākusi pat pēc dažām minūtēm? Ieskatieties surogātpasta mapē. Ja jums ar šo adresi jau bija konts, vēstulē būs pateikts tieši tas.

## Account
account-title = Jūsu konts
account-signed-in-as = Jūs pieteicāties kā { $email }
account-checklist = Pirmie soļi
account-step-email = Apstipriniet savu e-pasta adresi
account-step-factor = Pievienojiet otru pieteikšanās soli
account-step-license = Pievienojiet savu licenci
account-step-eula = Pieņemiet licences līgumu
account-step-device = Aktivizējiet produktu kādā ierīcē
account-more = Pārvaldība
account-link-licenses = Licences un ierīces
account-link-security = Pieteikšanās un drošība
account-link-eula = Licences līgums
account-link-support = Saņemt palīdzību no atbalsta dienesta

## Errors
error-form-expired = Šīs veidlapas derīguma laiks ir beidzies.
error-form-expired-next = Atgriezieties, pārlādējiet lapu un nosūtiet veidlapu vēlreiz. Nekas netika mainīts.
error-timeout-unsure = Tas aizņēma pārāk ilgu laiku, tāpēc mēs pārtraucām gaidīt. Jūsu pieprasījums, iespējams, tomēr ir izpildīts.
error-timeout-unsure-next = Pirms mēģināt vēlreiz, atgriezieties un pārbaudiet, vai tas ir izdarīts.
error-action-sign-in = Pieteikties
error-action-licenses = Atvērt licences
error-action-eula = Lasīt licences līgumu
error-action-security = Atvērt „Pieteikšanās un drošība“
error-action-reset = Atiestatīt paroli
error-action-account = Atvērt savu kontu
error-action-home = Uz sākumlapu
error-help-title = Joprojām neizdodas?
error-help-text = Mūsu atbalsta dienests var palīdzēt. Lai pārliecinātos, ka tas esat jūs, jums lūgs atbalsta PIN kodu.
error-help-link = Saņemt atbalsta PIN kodu un sazināties ar atbalsta dienestu

# /activate: vadīti soļi no aktivizācijas koda līdz strādājošai licencei.

activate-title = Aktivizējiet savu licenci
activate-done-title = Jūsu licence ir gatava
activate-step-code = Ievadiet aktivizācijas kodu
activate-step-account = Izveidojiet kontu vai pierakstieties
activate-step-email = Apstipriniet savu e-pasta adresi
activate-step-eula = Piekrītiet licences līgumam
activate-step-factor = Iestatiet papildu pierakstīšanās soli
activate-step-license = Pievienojiet licenci savam kontam
activate-step-done = Sāciet lietot produktu

activate-code-label = Aktivizācijas kods
activate-code-hint = 16 burti un cipari, piemēram, ABCD-EFGH-JKMN-PQRS. Tas ir atrodams čekā vai e-pastā, kas tika saņemts kopā ar pirkumu.
activate-code-typo = Šajā kodā ir drukas kļūda: kāda rakstzīme ir nepareiza vai divas ir samainītas vietām. Salīdziniet to ar čeku.
activate-code-submit = Turpināt

activate-account-intro = Licence piederēs jūsu kontam, lai jūs to varētu izmantot savās ierīcēs un vēlāk atkal atrast atslēgu.
activate-account-new = Esat šeit pirmo reizi?
activate-account-create = Izveidot kontu un pievienot licenci
activate-account-existing = Jums jau ir konts?
activate-account-existing-text = Pierakstieties, un jūs nekavējoties atgriezīsieties šeit ar savu kodu.
activate-account-sign-in = Pierakstīties un turpināt

activate-email-text = Mēs nosūtījām saiti uz { $email }. Atveriet to, lai apstiprinātu adresi, un tad atgriezieties šajā lapā.
activate-email-resend = Nosūtīt saiti vēlreiz
activate-email-sent = Mēs nosūtījām saiti vēlreiz. Tās saņemšana var aizņemt dažas minūtes.

activate-eula-intro = Lūdzu, izlasiet šī produkta licences līgumu. Produktu varēs lietot pēc līguma pieņemšanas.
activate-eula-other-language = Šis līgums nav pieejams jūsu valodā, tāpēc tas ir parādīts valodā, kurā tika publicēts.
activate-eula-checkbox = Esmu izlasījis(-usi) licences līgumu (versija { $version }) un tam piekrītu.
activate-eula-accept = Es piekrītu licences līgumam
activate-eula-untick = Jūs neatzīmējāt izvēles rūtiņu.
activate-eula-untick-next = Atzīmējiet rūtiņu, lai apliecinātu savu piekrišanu, un tad vēlreiz nospiediet pogu.

activate-factor-passkey = Šai licencei, pierakstoties, ir nepieciešama piekļuves atslēga. Piekļuves atslēga paroles vietā izmanto jūsu pirksta nospiedumu, seju vai ekrāna bloķēšanu, un neviens nevar jūs piemānīt to atdot.
activate-factor-passkey-go = Iestatīt piekļuves atslēgu
activate-factor-totp = Šai licencei, pierakstoties, ir nepieciešams otrs solis: kods no autentifikācijas lietotnes tālrunī vai piekļuves atslēga.
activate-factor-totp-go = Iestatīt otro soli
activate-factor-confirm = Pirms licences pievienošanas šī licence lūdz jūs ar otro pierakstīšanās soli apliecināt, ka tas esat jūs.
activate-factor-confirm-go = Apstipriniet, ka tas esat jūs

activate-license-text = Viss ir gatavs. Pievienojiet šī koda licenci savam kontam:
activate-license-submit = Pievienot licenci manam kontam

activate-done-notice = Produkta { $product } licence ir jūsu kontā.
activate-done-key = Jūsu licences atslēga
activate-copy-key = Kopēt atslēgu
activate-copied = Nokopēts
activate-done-next = Ko darīt tālāk
activate-done-open = Atveriet { $product } savā datorā.
activate-done-sign-in = Pierakstieties tajā ar šo kontu vai izvēlieties ievadīt licences atslēgu.
activate-done-paste = Ja izvēlējāties atslēgu, ielīmējiet augstāk redzamo atslēgu. Pārējo produkts paveiks pats.
activate-done-licenses = Skatīt savas licences un ierīces
activate-expired-next = Palūdziet jaunu kodu veikalam vai personai, no kuras saņēmāt šo kodu.

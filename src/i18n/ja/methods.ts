import type { methods as en } from '../en/methods.ts';

/** The verification methods: app, security keys, phone, email, security questions. */
export const methods: Record<keyof typeof en, string> = {
  'app.default_label': '認証アプリ',
  'app.enroll.title': '認証アプリを設定する',
  'app.enroll.step1':
    'まだお持ちでない場合は、スマートフォンに認証アプリをインストールしてください。Microsoft Authenticator や Google Authenticator など、時間ベースのワンタイム コード (TOTP) に対応したアプリであれば使用できます。',
  'app.enroll.step2': 'アプリでアカウントの追加を選び、この QR コードをスキャンしてください。',
  'app.enroll.qrAlt': '認証アプリでスキャンする QR コード',
  'app.enroll.manual': 'QR コードをスキャンできない場合は、次の情報を入力してアカウントを追加してください:',
  'app.enroll.keyLabel': 'キー',
  'app.enroll.accountLabel': 'アカウント',
  'app.enroll.typeLabel': '種類',
  'app.enroll.typeValue': '時間ベース、6 桁',
  'app.enroll.step3':
    '正しく設定できたことを確認するため、アプリに表示されている 6 桁のコードを入力してください。',
  'app.enroll.codeLabel': '6 桁のコード',
  'app.enroll.nameLabel': 'このアプリの名前 (省略可)',
  'app.enroll.nameHint':
    '複数のアプリを見分けるための名前です (例: 仕事用スマートフォン)。64 文字以内で入力してください。',
  'app.enroll.submit': '認証アプリを追加',
  'app.verify.lead': '認証アプリを開き、このアカウントに表示されている 6 桁のコードを入力してください。',
  'app.verify.codeLabel': 'コード',
  'app.verify.submit': '確認',
  'app.code_format': 'アプリに表示されている 6 桁のコードを数字で入力してください。',
  'app.code_invalid':
    'コードが正しくありません。スマートフォンの時刻が正しいことを確認し、最新のコードを入力してください。',
  'app.code_used':
    'このコードは既に使用されています。アプリに新しいコードが表示されるまで待ってから入力してください。',
  'app.too_many':
    '間違ったコードが何度も入力されたため、安全のためこの方法は現在使用できません。別の方法を使用するか、しばらくしてからもう一度お試しください。',
  'app.enroll_expired':
    'この設定は有効期限が切れたか、新しい設定に置き換えられました。最初からやり直して新しい QR コードを取得してください。',
  'app.enroll_exhausted':
    '間違ったコードが何度も入力されました。設定を最初からやり直して新しい QR コードを取得してください。',
  'app.name_too_long': '名前は {max} 文字以内で入力してください。',
  'app.limit_reached':
    '認証アプリは既に {max} 個登録されています。追加するには、いずれかを削除してください。',
  'securityKey.method': 'セキュリティ キーまたはパスキー',
  'securityKey.defaultName': 'セキュリティ キー',
  'securityKey.nameInvalid': 'セキュリティ キーの名前を 1 ～ 64 文字で入力してください。',
  'securityKey.badResponse': 'ブラウザーからの応答を読み取れませんでした。もう一度お試しください。',
  'securityKey.expired': 'この要求は有効期限が切れたか、すでに使用されています。最初からやり直してください。',
  'securityKey.failed': 'セキュリティ キーまたはパスキーを確認できませんでした。もう一度お試しください。',
  'securityKey.notRegistered':
    'このセキュリティ キーまたはパスキーは、あなたのアカウントに登録されていません。',
  'securityKey.unknownPasskey':
    'このパスキーはここに登録されていません。ユーザー ID とパスワードでサインインしてから、セキュリティ情報に追加してください。',
  'securityKey.alreadyRegistered': 'このセキュリティ キーまたはパスキーはすでに登録されています。',
  'securityKey.limit':
    'セキュリティ キーとパスキーは {max} 個まで登録できます。新しく追加するには、いずれかを削除してください。',
  'securityKey.exhausted': 'セキュリティ キーでの確認に何度も失敗しました。別の方法を使用してください。',
  'securityKey.enroll.title': 'セキュリティ キーまたはパスキーの追加',
  'securityKey.enroll.lead':
    '後で見分けられるように名前を付けてから [続行] を選択し、ブラウザーの指示に従ってください。キーを差し込んでタッチするか、指紋、顔認証、またはデバイスの PIN で確認します。',
  'securityKey.enroll.name': '名前',
  'securityKey.enroll.nameHint': '例: 「青い YubiKey」「仕事用のノート PC」。64 文字以内。',
  'securityKey.enroll.submit': '続行',
  'securityKey.enroll.noKey':
    'このブラウザーでセキュリティ キーやパスキーを使用できない場合は、対応しているブラウザーから後で追加するか、別の方法を選択してください。',
  'securityKey.verify.title': 'セキュリティ キーまたはパスキーの使用',
  'securityKey.verify.lead':
    '[続行] を選択し、ブラウザーの指示に従ってください。キーを差し込んでタッチするか、指紋、顔認証、またはデバイスの PIN で確認します。',
  'securityKey.verify.submit': '続行',
  'securityKey.verify.noKey':
    'キーが手元にない場合や、このブラウザーで使用できない場合は、[別の方法でサインインする] を選択して別の方法を使用してください。',
  'securityKey.passkey.submit': 'パスキーでサインイン',
  'securityKey.passkey.hint':
    'パスワードの代わりに、このデバイスや近くのスマートフォンのパスキー、またはセキュリティ キーを使用できます。',
  'securityKey.noscript':
    'セキュリティ キーとパスキーを使用するには JavaScript が必要です。ブラウザーで JavaScript を有効にするか、別の方法を使用してください。',
  'securityKey.msg.unsupported':
    'このブラウザーはセキュリティ キーとパスキーに対応していません。別の方法を使用するか、対応しているブラウザーでお試しください。',
  'securityKey.msg.cancelled':
    '要求がキャンセルされたか、時間切れになりました。[続行] を選択してもう一度お試しください。',
  'securityKey.msg.registered':
    'このセキュリティ キーまたはパスキーは、すでにあなたのアカウントに登録されています。',
  'securityKey.msg.error':
    'ブラウザーでセキュリティ キーまたはパスキーを使用できませんでした。もう一度試すか、別の方法を使用してください。',
  'voice.repeat': 'もう一度繰り返します。コードは',
  'voice.goodbye': '以上です。失礼いたします。',
  'phone.enroll.lead':
    '国または地域を選んで電話番号を入力してください。番号に届くことを確かめるため、コードを送信します。',
  'phone.enroll.country': '国または地域',
  'phone.enroll.number': '電話番号',
  'phone.enroll.numberHint': '例: 090-1234-5678。内線番号付きの番号は使用できません。',
  'phone.enroll.type': 'この電話の種類',
  'phone.enroll.type.mobile': '携帯電話 (テキスト メッセージと音声通話)',
  'phone.enroll.type.alternate': '代替の電話 (音声通話のみ。会社の電話など)',
  'phone.enroll.via': 'コードの受け取り方法',
  'phone.enroll.via.sms': 'テキスト メッセージでコードを受け取る',
  'phone.enroll.via.voice': '電話でコードを受け取る',
  'phone.enroll.submit': 'コードを送信',
  'phone.enroll.codeLead.sms':
    '{number} に 6 桁のコードをテキスト メッセージで送信しました。コードを入力して電話の追加を完了してください。',
  'phone.enroll.codeLead.voice':
    '{number} に電話をかけています。電話に出て、読み上げられる 6 桁のコードを入力してください。',
  'phone.enroll.codeLabel': '6 桁のコード',
  'phone.enroll.codeSubmit': '電話を追加',
  'phone.enroll.resendSms': '新しいコードをテキスト メッセージで送る',
  'phone.enroll.resendVoice': '新しいコードを電話で受け取る',
  'phone.enroll.restart': '別の番号を使う',
  'phone.verify.lead.sms':
    '{number} に 6 桁のコードをテキスト メッセージで送信しました。コードを入力してください。',
  'phone.verify.lead.voice':
    '{number} に電話をかけています。電話に出て、読み上げられる 6 桁のコードを入力してください。',
  'phone.verify.codeLabel': 'コード',
  'phone.verify.submit': '確認',
  'phone.verify.resend.sms': '新しいコードを送信',
  'phone.verify.resend.voice': '新しいコードでもう一度電話する',
  'phone.verify.phoneLabel': '電話をかける番号',
  'phone.verify.callThis': 'この番号に電話する',
  'phone.confirm.lead':
    'アカウントを保護するため、まず電話番号をすべて入力してください。登録されている番号と一致した場合にのみコードを送信します。',
  'phone.confirm.hint': '登録されている番号の末尾は {digits} です。',
  'phone.confirm.submit.sms': 'テキスト メッセージでコードを受け取る',
  'phone.confirm.submit.voice': '電話でコードを受け取る',
  'phone.sms.text':
    '{org} の確認コードは {code} です。有効期限は {minutes} 分です。このコードは誰にも教えないでください。',
  'phone.voice.text': 'こちらは {org} です。確認コードは',
  'phone.numberMissing': '電話番号を入力してください。',
  'phone.numberInvalid': '選択した国の電話番号として正しくありません。番号と国を確認してください。',
  'phone.extension':
    '内線番号付きの番号は、コードの電話で内線をダイヤルできないため使用できません。直通の番号を入力してください。',
  'phone.countryMissing': '番号の国を選ぶか、+ から始まる国番号付きで入力してください。',
  'phone.numberNotAccepted':
    'この種類の番号 (有料番号、料金分担番号など) は使用できません。携帯電話または固定電話の番号を入力してください。',
  'phone.notMobile':
    '携帯電話の番号ではありません。音声通話用の代替の電話として登録するか、携帯電話の番号を入力してください。',
  'phone.smsNeedsMobile':
    'テキスト メッセージは携帯電話の番号にしか送れません。「電話でコードを受け取る」を選んでください。',
  'phone.typeInvalid': '携帯電話か代替の電話かを選んでください。',
  'phone.mobileTaken':
    '携帯電話はすでに登録されています。先に削除するか、この番号を代替の電話として追加してください。',
  'phone.alternateTaken':
    '代替の電話はすでに登録されています。別の番号を追加するには、先に削除してください。',
  'phone.duplicate': 'この電話番号はすでにアカウントに登録されています。',
  'phone.limitReached':
    '登録できる電話は携帯電話と代替の電話の {max} 件までです。追加するには、先にどちらかを削除してください。',
  'phone.countryNotAllowed':
    'この国の電話番号へのコード送信は、組織で許可されていません。別の方法を使うか、管理者に問い合わせてください。',
  'phone.codeSent': '{number} にコードを送信しました。コードを入力してください。',
  'phone.codeResent': '{number} に新しいコードを送信しました。以前のコードは使用できません。',
  'phone.enterNumber': '追加する電話番号を入力してください。',
  'phone.enrollExpired':
    'コードの有効期限が切れました。番号をもう一度入力して新しいコードを受け取ってください。',
  'phone.codeFormat': '6 桁のコードを数字だけで入力してください。',
  'phone.codeInvalidSms':
    'コードが正しくありません。最新のテキスト メッセージを確認して、もう一度入力してください (残り {remaining} 回)。',
  'phone.codeInvalidVoice':
    'コードが正しくありません。もう一度入力するか、新しい電話を依頼してください (残り {remaining} 回)。',
  'phone.codeExpired':
    'このコードは有効期限が切れたか、すでに使用されています。新しいコードを依頼してください。',
  'phone.tooMany':
    '誤った入力が多すぎます。セキュリティのため、この方法は現在使用できません。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'phone.tooManyEnroll': '誤ったコードが多すぎます。1 時間後にもう一度お試しください。',
  'phone.limitNumber':
    'この電話に最近送信したコードが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'phone.limitAccount':
    'このアカウントに最近送信したコードが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'phone.limitIp':
    'お使いのネットワークから最近依頼されたコードが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'phone.paused':
    'テキスト メッセージと音声通話は一時的に停止しています。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'phone.smsFailed':
    'テキスト メッセージを送信できませんでした。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'phone.callFailed':
    'お使いの電話に発信できませんでした。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'phone.noPhone': 'この操作に使用できる電話が登録されていません。',
  'phone.numberMismatch':
    '入力された番号は登録されている電話と一致しません。確認してもう一度入力するか、別の方法を使ってください。',
  'phone.alert.subject': '{org} のテキスト メッセージと音声通話を一時停止しました',
  'phone.alert.body':
    '{org} は 1 時間以内にテキスト メッセージと音声通話を {budget} 件送信し、ポリシーで設定された 1 時間あたりの上限に達しました。{until} まで新しい送信を停止し、その間は別の方法を使うよう利用者に案内しています。',
  'phone.alert.advice':
    '急な増加は、サインインやリセットのページが高額な送信に悪用されている (料金詐欺) 可能性があります。アクティビティを確認し、正当な利用である場合にのみ上限 (phoneHourlyBudget) を引き上げてください。',
  'phone.alert.action': '管理コンソールを開く',
  'emailMethod.enroll.lead':
    'サインインに使うものとは別のメール アドレス (個人のアドレスなど) を追加してください。パスワードのリセットに使用できます。届くことを確かめるため、コードを送信します。',
  'emailMethod.enroll.address': 'メール アドレス',
  'emailMethod.enroll.addressHint': '254 文字以内。例: name@example.com',
  'emailMethod.enroll.submit': 'コードを送信',
  'emailMethod.enroll.codeLead':
    '{address} に 6 桁のコードをメールで送信しました。コードを入力してアドレスの追加を完了してください。',
  'emailMethod.enroll.codeLabel': '6 桁のコード',
  'emailMethod.enroll.codeSubmit': 'メール アドレスを追加',
  'emailMethod.enroll.resend': '新しいコードを送信',
  'emailMethod.enroll.restart': '別のアドレスを使う',
  'emailMethod.verify.lead': '{address} に 6 桁のコードをメールで送信しました。コードを入力してください。',
  'emailMethod.verify.codeLabel': 'コード',
  'emailMethod.verify.submit': '確認',
  'emailMethod.verify.resend': '新しいコードを送信',
  'emailMethod.mail.subject': '{org} の確認コード',
  'emailMethod.mail.leadEnroll':
    '{org} のセキュリティ情報にこのメール アドレスを追加する操作が行われました。ご自身の操作であれば、次のコードを入力してください:',
  'emailMethod.mail.leadReset':
    '{org} で本人確認を行いパスワードをリセットするには、次のコードを入力してください:',
  'emailMethod.mail.expires': 'このコードの有効期限は {minutes} 分です。誰にも教えないでください。',
  'emailMethod.mail.ignore': 'このコードに心当たりがない場合は、このメールを無視してください。',
  'emailMethod.addressMissing': 'メール アドレスを入力してください。',
  'emailMethod.addressInvalid':
    'name@example.com のようなメール アドレスを 1 つ、スペース、コンマ、改行を含めずに入力してください。',
  'emailMethod.tooLong': 'メール アドレスは {max} 文字以内で入力してください。',
  'emailMethod.isSignInAddress': 'サインインに使うものとは別のアドレスを入力してください。',
  'emailMethod.isProfileAddress':
    'アカウントのメール アドレスとは別のアドレスを入力してください。アカウントにアクセスできなくなると、そのメールボックスも使えなくなることがあります。',
  'emailMethod.limitReached':
    'メール アドレスはすでに登録されています。別のアドレスを追加するには、先に削除してください。',
  'emailMethod.codeSent': '{address} にコードを送信しました。コードを入力してください。',
  'emailMethod.codeResent': '{address} に新しいコードを送信しました。以前のコードは使用できません。',
  'emailMethod.enterAddress': '追加するメール アドレスを入力してください。',
  'emailMethod.enrollExpired':
    'コードの有効期限が切れました。アドレスをもう一度入力して新しいコードを受け取ってください。',
  'emailMethod.codeFormat': '6 桁のコードを数字だけで入力してください。',
  'emailMethod.codeInvalid':
    'コードが正しくありません。最新のメールを確認して、もう一度入力してください (残り {remaining} 回)。',
  'emailMethod.codeExpired':
    'このコードは有効期限が切れたか、すでに使用されています。新しいコードを依頼してください。',
  'emailMethod.tooMany':
    '誤った入力が多すぎます。セキュリティのため、この方法は現在使用できません。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'emailMethod.tooManyEnroll': '誤ったコードが多すぎます。1 時間後にもう一度お試しください。',
  'emailMethod.limitAddress':
    'このアドレスに最近送信したメールが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'emailMethod.limitAccount':
    'このアカウントに最近送信したメールが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'emailMethod.limitIp':
    'お使いのネットワークから最近依頼されたメールが多すぎます。{minutes} 分後にもう一度お試しいただくか、別の方法を使ってください。',
  'emailMethod.sendFailed':
    'メールを送信できませんでした。別の方法を使うか、しばらくしてからもう一度お試しください。',
  'emailMethod.noAddress': 'この操作に使用できるメール アドレスが登録されていません。',
  'questions.describe': 'セキュリティの質問 {count} 件',
  'questions.enroll.lead':
    '異なる質問を {count} つ選び、それぞれに答えを入力してください。パスワードをリセットするときに、この中からいくつかの質問に答えていただきます。',
  'questions.enroll.rules':
    '答えはそれぞれ {min} 文字以上 {max} 文字以内で、すべて異なるものにしてください。大文字と小文字、全角と半角、余分なスペースは区別しません。ひらがな・カタカナ・漢字やアクセント記号付きの文字は区別するので、覚えやすい書き方で入力してください。',
  'questions.enroll.private':
    '答えは誰にも読めない形で保存され、管理者も見ることはできません。後から表示したり編集したりすることはできないため、変更するにはセキュリティの質問を削除して登録し直してください。',
  'questions.enroll.question': '質問 {n}',
  'questions.enroll.choose': '質問を選んでください',
  'questions.enroll.placeholder': '(未選択)',
  'questions.enroll.predefined': '用意されている質問',
  'questions.enroll.custom': '組織が追加した質問',
  'questions.enroll.answer': '質問 {n} の答え',
  'questions.enroll.submit': 'セキュリティの質問を保存',
  'questions.verify.lead': '登録したときと同じように、次の質問に答えてください。',
  'questions.verify.hint': '大文字と小文字、全角と半角、余分なスペースは区別しません。',
  'questions.verify.submit': '確認',
  'questions.not_for_admins': '管理者アカウントではセキュリティの質問を使用できません。',
  'questions.already_registered':
    'セキュリティの質問はすでに登録されています。新しく登録するには、先に登録済みの質問を削除してください。',
  'questions.not_enough_offered':
    '登録に必要な数のセキュリティの質問が用意されていません。管理者に問い合わせてください。',
  'questions.choose_all': '{count} つの質問すべてについて、質問を選んで答えを入力してください。',
  'questions.unknown_question':
    '選んだ質問の中に、現在は使用できない質問があります。質問を選び直してください。',
  'questions.duplicate_question': '質問はそれぞれ異なるものを選んでください。',
  'questions.duplicate_answer': '答えはそれぞれ異なるものにしてください。',
  'questions.answer_too_short': '答えはそれぞれ {min} 文字以上で入力してください。',
  'questions.answer_too_long': '答えはそれぞれ {max} 文字以内で入力してください。',
  'questions.answer_format': 'すべての質問に答えてください。答えは {min} 文字以上 {max} 文字以内です。',
  'questions.not_registered': 'セキュリティの質問が登録されていません。',
  'questions.set_too_small':
    '登録されているセキュリティの質問が組織の現在の要件を満たしていません。別の方法を使用し、後でセキュリティの質問を登録し直してください。',
  'questions.expired':
    'この質問は有効期限が切れたか、すでに回答済みです。いま表示されている質問に答えてください。',
  'questions.wrong':
    '正しくない答えがあります。いま表示されている質問に答えてください (前回と異なる場合があります)。',
  'questions.too_many':
    '間違った答えが多すぎます。セキュリティ保護のため、セキュリティの質問は現在使用できません。別の方法を使用するか、しばらくしてからもう一度お試しください。',
  'questions.q.first_school_city': '最初に通った学校は、どの市区町村にありましたか？',
  'questions.q.childhood_best_friend': '10 歳のころ、いちばん仲の良かった友達の下の名前は何ですか？',
  'questions.q.favorite_primary_teacher': '小学校でいちばん好きだった先生の名字は何ですか？',
  'questions.q.childhood_nickname': '子どものころ、家族から何というあだ名で呼ばれていましたか？',
  'questions.q.first_concert': '初めて行ったコンサートやライブで見た歌手やグループは誰ですか？',
  'questions.q.first_film_in_cinema': '映画館で見た映画として覚えている、いちばん古い作品は何ですか？',
  'questions.q.first_book_read_alone': '自分ひとりで読んだ本として覚えている、いちばん古い本は何ですか？',
  'questions.q.first_album_bought': '自分のお金で初めて買ったアルバムやシングルは何ですか？',
  'questions.q.first_pay_purchase': '初めての給料で何を買いましたか？',
  'questions.q.childhood_dream_job': '子どものころ、大きくなったら何になりたいと思っていましたか？',
  'questions.q.childhood_hero': '子どものころ、あこがれていた人は誰ですか？',
  'questions.q.favorite_childhood_toy': '子どものころ、いちばん好きだったおもちゃは何ですか？',
  'questions.q.childhood_snack': '子どものころ、いちばんよく買っていたお菓子は何ですか？',
  'questions.q.first_dish_cooked': '初めて作れるようになった料理は何ですか？',
  'questions.q.first_game_owned': '初めて自分のものになったテレビゲームやボードゲームは何ですか？',
  'questions.q.parents_meeting_place': 'ご両親が出会ったのは、どの市区町村ですか？',
  'questions.q.grandmother_hometown': '祖母のどちらかが育ったのは、どの市町村ですか？',
  'questions.q.first_trip_abroad_city': '初めて訪れた外国の都市はどこですか？',
  'questions.q.childhood_neighbor_name': '子どものころ、隣に住んでいた家の名字は何ですか？',
  'questions.q.childhood_hiding_place': '子どものころ、お気に入りの隠れ場所はどこでしたか？',
  'questions.q.first_gift_remembered': '覚えている中で、いちばん古いプレゼントは何ですか？',
  'questions.q.first_date_place': '初めてのデートでどこへ行きましたか？',
  'questions.q.first_night_away': '初めて家族と離れて泊まったのは、誰の家ですか？',
  'questions.q.childhood_holiday_place': '子どものころ、家族旅行でいちばんよく行った場所はどこですか？',
  'questions.q.first_stage_role': '学芸会で初めて演じた役は何ですか？',
  'questions.q.birthday_dish': '子どものころ、誕生日にいつも食べたいとお願いしていた料理は何ですか？',
  'questions.q.school_lunch_favorite': 'いちばん好きだった給食のメニューは何ですか？',
  'method.app': '認証アプリ',
  'method.sms': 'テキスト メッセージ (SMS)',
  'method.voice': '音声通話',
  'method.phone': '電話',
  'method.securityKey': 'セキュリティ キーまたはパスキー',
  'method.email': 'メール',
  'method.questions': 'セキュリティの質問',
  'emailMethod.mail.leadVerify': '{org} でメールアドレスを確認するには、次のコードを使用してください:',
};

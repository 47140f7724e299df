import type { MessageKey } from './en.ts';

export const ja: Record<MessageKey, string> = {
  'lang.name': '日本語',
  'layout.skip': '本文へ移動',
  'layout.language': '言語',
  'layout.footer': '{org} によって保護されています',

  'home.title': 'Tobira サインイン サービス',
  'home.lead':
    'このサーバーは OpenID Connect で {org} のアプリケーションへのサインインを提供し、利用者が自分でアカウントを回復できるようにします。',
  'home.discovery': 'OpenID Connect ディスカバリー ドキュメント',
  'home.portal': 'セキュリティ情報を管理する',
  'home.reset': 'アカウントにアクセスできない場合',
  'home.demo': 'デモ アプリケーションを試す (開発モード)',
  'home.dev': '開発モードで動作しています。実際のアカウントには使用しないでください。',

  'signin.title': 'サインイン',
  'signin.lead': '{client} を続行するにはサインインしてください。',
  'signin.username': 'ユーザー ID',
  'signin.password': 'パスワード',
  'signin.submit': 'サインイン',
  'signin.cantAccess': 'アカウントにアクセスできない場合',
  'signin.invalid': 'ユーザー ID またはパスワードが正しくありません。',
  'signin.missing': 'ユーザー ID とパスワードを入力してください。',
  'signin.cancel': 'キャンセルしてアプリケーションに戻る',

  'consent.title': 'アクセスの許可',
  'consent.lead': '{client} が次のことを求めています:',
  'consent.scope.openid': 'あなたをサインインさせる',
  'consent.scope.profile': 'あなたの名前とユーザー ID を参照する',
  'consent.scope.email': 'あなたのメール アドレスを参照する',
  'consent.scope.offline_access': 'あなたが操作していない間もアクセスを維持する',
  'consent.scope.other': '権限「{scope}」を使用する',
  'consent.allow': '許可',
  'consent.deny': 'キャンセル',

  'logout.title': 'サインアウト',
  'logout.lead': '{org} からサインアウトしますか?',
  'logout.confirm': 'サインアウト',
  'logout.stay': 'サインインしたままにする',
  'logout.done.title': 'サインアウトしました',
  'logout.done.lead': 'サインアウトしました。このウィンドウを閉じてもかまいません。',

  'reset.title': 'アカウントにアクセスできない場合',

  'error.title': '問題が発生しました',
  'error.back': 'スタート ページへ',
  'error.http.400': '要求が正しくありません。',
  'error.http.403': 'この操作は許可されていません。',
  'error.http.404': 'ページが見つかりません。',
  'error.http.405': 'このメソッドはここでは使用できません。',
  'error.http.413': '要求が大きすぎます。',
  'error.http.415': 'この種類の内容は受け付けていません。',
  'error.http.429': '要求が多すぎます。しばらく待ってからもう一度お試しください。',
  'error.http.500': '予期しないエラーが発生しました。後でもう一度お試しください。',
  'error.csrf':
    'このフォームの有効期限が切れたか、別のサイトから送信されました。ページを再読み込みしてもう一度お試しください。',
  'error.interaction_expired':
    'サインインのセッションの有効期限が切れたか、見つかりません。アプリケーションに戻って最初からやり直してください。',
  'error.second_factor_unavailable':
    '登録済みの 2 つ目のサインイン方法が現在利用できないため、サインインを完了できません。管理者に連絡してください。',
  'error.oidc': 'アプリケーションから完了できない要求が送信されました ({code})。',
  'error.body_invalid': 'フォームを読み取れませんでした。ページを再読み込みしてもう一度お試しください。',

  'demo.title': 'デモ アプリケーション',
  'demo.lead': 'このプロバイダーでサインインする組み込みのリライング パーティです。動作を確認できます。',
  'demo.signin': 'Tobira でサインイン',
  'demo.signout': 'サインアウト',
  'demo.claims': 'ID トークンのクレーム',
  'demo.signedInAs': '{name} としてサインインしています',

  // -- methods/app (authenticator app) --
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
  // -- end methods/app --

  // -- methods/securityKey (security keys and passkeys) --
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
  // -- end methods/securityKey --

  // -- password policy --
  'password.too_short': '{min} 文字以上にしてください。',
  'password.too_long': '{max} 文字以内にしてください。',
  'password.common':
    'このパスワードはよく使われているため使用できません。推測されにくいものを選んでください。',
  'password.guessable': 'このパスワードは推測されやすいです。規則性のない単語や文字を加えてください。',
  'password.contains_login': 'パスワードにユーザー ID を含めないでください。',
  'password.contains_name': 'パスワードに名前を含めないでください。',
  'password.contains_organization': 'パスワードに組織名を含めないでください。',
  'password.contains_banned_term': 'パスワードに組織で禁止されている語句が含まれています。',
  'password.reused': '最近使用したパスワードです。新しいパスワードを選んでください。',
  // -- end password policy --

  // -- delivery, notices, outbox --
  'email.footer': 'このメールは {org} から自動送信されています。返信いただいてもお答えできません。',
  'email.greeting': '{name} 様',
  'email.details': '詳細',
  'email.when': '日時',
  'email.ip': 'IP アドレス',
  'email.device': 'ブラウザー',
  'email.unknown': '不明',

  'notice.securityInfo.added.subject': 'アカウントにセキュリティ情報が追加されました',
  'notice.securityInfo.added.body': 'アカウント {login} に次のセキュリティ情報が追加されました: {method}',
  'notice.securityInfo.removed.subject': 'アカウントからセキュリティ情報が削除されました',
  'notice.securityInfo.removed.body': 'アカウント {login} から次のセキュリティ情報が削除されました: {method}',
  'notice.securityInfo.defaultChanged.subject': '既定のサインイン方法が変更されました',
  'notice.securityInfo.defaultChanged.body':
    'アカウント {login} でサインイン時に最初に使用する方法が、次の方法に変更されました: {method}',
  'notice.securityInfo.review': 'セキュリティ情報を確認する',
  'notice.passwordChanged.subject': 'パスワードが変更されました',
  'notice.passwordChanged.body': 'アカウント {login} のパスワードが変更されました。',
  'notice.passwordChanged.recover': 'サインインできなくなった場合は、パスワードをリセットしてください',
  'notice.ifYou': 'ご自身で変更された場合は、対応の必要はありません。',
  'notice.notYou':
    'お心当たりがない場合は、すぐに管理者に連絡してください。第三者があなたのアカウントを使用している可能性があります。',
  'notice.notYouContact':
    'お心当たりがない場合は、すぐに管理者 ({contact}) に連絡してください。第三者があなたのアカウントを使用している可能性があります。',

  'dev.outbox.title': '送信トレイ',
  'dev.outbox.lead':
    'メール、テキスト メッセージ、音声通話で送信されるはずだったメッセージです。このページは開発モードでのみ表示されます。',
  'dev.outbox.count': '新しい順に {count} 件を表示しています。',
  'dev.outbox.empty': 'メッセージはまだありません。',
  'dev.outbox.json': '同じ一覧を JSON で表示',
  'dev.outbox.time': '日時',
  'dev.outbox.channel': 'チャネル',
  'dev.outbox.recipient': '宛先',
  'dev.outbox.purpose': '用途',
  'dev.outbox.subject': '件名',
  'dev.outbox.body': '本文',
  'dev.outbox.none': '(なし)',
  'dev.outbox.channel.email': 'メール',
  'dev.outbox.channel.sms': 'テキスト メッセージ',
  'dev.outbox.channel.voice': '音声通話',

  'voice.repeat': 'もう一度繰り返します。コードは',
  'voice.goodbye': '以上です。失礼いたします。',
  // -- end delivery, notices, outbox --

  // -- methods/phone (text message and phone call) --
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
  // -- end methods/phone --

  // -- methods/email --
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
  // -- end methods/email --

  // -- methods/questions (security questions) --
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
  // -- end methods/questions --

  // -- reset flow --
  'pow.hint': '自動送信を防ぐための確認をブラウザーで行います。少し時間がかかります。',
  'pow.required': 'チェック ボックスを選択して確認を完了してから、続行してください。',
  'pow.noscript':
    'この確認には JavaScript が必要です。ブラウザーで JavaScript を有効にして、このページを再読み込みしてください。できない場合は、管理者にお問い合わせください。',
  'reset.identify.lead':
    'アカウントに再びアクセスするには、ユーザー ID を入力してください。本人確認のあと、新しいパスワードを設定します。',
  'reset.identify.username': 'ユーザー ID',
  'reset.identify.submit': '次へ',
  'reset.identify.missing': 'ユーザー ID を入力してください。',
  'reset.identify.pow': '自動送信の確認が完了していません。完了するまで待ってから、もう一度お試しください。',
  'reset.identify.back': 'サインインに戻る',
  'reset.external.title': '管理者に問い合わせてください',
  'reset.external.lead':
    'このアカウントのパスワードは別のシステムで管理されているため、ここではリセットできません。管理者またはヘルプデスクに問い合わせてください。',
  'reset.notEnabled.title': 'お使いのアカウントはパスワード リセットが有効になっていません',
  'reset.notEnabled.lead':
    '組織はこのアカウントでセルフサービスのパスワード リセットを使用できるように設定していません。',
  'reset.unverified.title': 'アカウントを確認できませんでした',
  'reset.unverified.lead':
    '登録されているセキュリティ情報でアカウントを確認できませんでした。必要であれば、管理者にパスワードのリセットを依頼できます。',
  'reset.unverified.register':
    'サインインできるようになったら、/my/security-info でセキュリティ情報を登録してください。次回からは自分でパスワードをリセットできます。',
  'reset.contact.button': '管理者に連絡する',
  'reset.contact.link': 'ヘルプデスクに連絡する',
  'reset.contacted.title': '管理者に連絡しました',
  'reset.contacted.lead':
    'このアカウントが存在する場合、パスワードについて支援が必要であることを管理者に通知しました。管理者から連絡があります。',
  'reset.blocked.title': '試行回数が多すぎます',
  'reset.blocked.lead':
    'このアカウントのパスワード リセットの試行が多すぎます。セキュリティ保護のため、24 時間後にもう一度お試しいただくか、管理者に問い合わせてください。',
  'reset.expired.title': '最初からやり直してください',
  'reset.expired.lead':
    'パスワード リセットのセッションの有効期限が切れたか、完了したか、別のブラウザーで開始されました。最初からやり直してください。',
  'reset.expired.restart': '最初からやり直す',
  'reset.verify.title': '本人確認',
  'reset.verify.lead': '確認ステップ {gate}/{required}: 本人確認に使用する方法を選択してください。',
  'reset.verify.blocked': '試行が多すぎたため 24 時間ブロックされています',
  'reset.verify.none': '現在使用できる方法がありません。',
  'reset.methodUnavailable': 'この方法は今回のリセットには使用できません。',
  'reset.methodBlocked':
    'この方法は失敗が続いたため 24 時間ブロックされています。別の方法を選択してください。',
  'reset.stepOrder': '先に前の手順を完了してください。',
  'reset.method.others': '別の方法を選択する',
  'reset.password.title': '新しいパスワードの設定',
  'reset.password.lead': '本人確認が完了しました。アカウントの新しいパスワードを設定してください。',
  'reset.password.new': '新しいパスワード',
  'reset.password.confirm': '新しいパスワードの確認',
  'reset.password.submit': 'パスワードをリセット',
  'reset.unlock.lead':
    'サインインの失敗が続いたため、アカウントはロックされています。現在のパスワードのままロックを解除することもできます。',
  'reset.unlock.submit': 'パスワードを変更せずにロックを解除する',
  'reset.done.title': 'パスワードをリセットしました',
  'reset.done.unlocked': 'アカウントのロックを解除しました。現在のパスワードでサインインしてください。',
  'reset.done.lead':
    '新しいパスワードでサインインしてください。ほかのすべての場所からはサインアウトされました。',
  'reset.done.signin': 'サインイン',
  'reset.cancel': 'キャンセル',
  'notice.passwordReset.subject': 'パスワードがリセットされました',
  'notice.passwordReset.body':
    'アカウント {login} のパスワードが「アカウントにアクセスできない場合」からリセットされました。',
  'notice.passwordReset.sessions': 'すべてのアプリとデバイスからサインアウトされました。',
  'notice.adminReset.subject': '管理者がパスワードをリセットしました: {login}',
  'notice.adminReset.body':
    '管理者アカウント {login} がセルフサービス パスワード リセットでパスワードをリセットしました。',
  'notice.contactAdmin.subject': '{login} からパスワードに関する支援の依頼',
  'notice.contactAdmin.body':
    'ユーザー {login} は自分でパスワードをリセットできず、管理者に支援を求めています。',
  'reset.done.unlockedTitle': 'アカウントのロックを解除しました',
  // -- end reset flow --

  // -- administration --
  'admin.title': '管理',
  'admin.nav': '管理',
  'admin.nav.dashboard': 'ダッシュボード',
  'admin.nav.users': 'ユーザー',
  'admin.nav.groups': 'グループ',
  'admin.nav.clients': 'アプリケーション',
  'admin.nav.policy': 'ポリシー',
  'admin.nav.audit': '監査ログ',
  'admin.nav.reports': 'レポート',
  'admin.nav.contacts': '問い合わせ',
  'admin.signout': 'サインアウト',
  'admin.signedInAs': '{login} ({role}) としてサインイン中',
  'admin.role.admin': '管理者',
  'admin.role.helpdesk': 'ヘルプデスク',
  'admin.denied.title': '管理者専用です',
  'admin.denied.lead': 'このアカウントでは管理コンソールを使用できません。',
  'admin.mfa.title': '2 つ目の認証方法が必要です',
  'admin.mfa.lead':
    '管理者は 2 つ目の認証方法を使ってサインインする必要があります。セキュリティ情報のページで認証アプリまたはセキュリティ キーを登録してから、もう一度サインインしてください。',
  'admin.mfa.register': 'セキュリティ情報へ移動',
  'admin.mfa.retry': 'もう一度サインイン',
  'admin.sessionExpired': '管理セッションの有効期限が切れました。もう一度サインインしてください。',
  'admin.yes': 'はい',
  'admin.no': 'いいえ',
  'admin.none': 'なし',
  'admin.never': 'なし',
  'admin.back': '戻る',
  'admin.errorSummary': '入力内容に誤りがあります。下に示した項目を修正してください。',

  'admin.error.invalid': '入力内容に誤りがあります。',
  'admin.error.conflict': '現在の状態と矛盾するため、この要求は実行できません。',
  'admin.error.forbidden': 'この操作を行う権限がありません。',
  'admin.error.unauthorized': 'このサービスが発行した有効なアクセス トークンが必要です。',
  'admin.error.insufficientScope': 'アクセス トークンに admin スコープが含まれていません。',
  'admin.error.notFound': '見つかりません。',
  'admin.error.userNotFound': 'そのユーザーは存在しません。',
  'admin.error.groupNotFound': 'そのグループは存在しません。',
  'admin.error.clientNotFound': 'そのアプリケーションは存在しません。',

  'admin.field.required': '入力してください。',
  'admin.field.invalidType': '値の型が正しくありません ({expected} が必要です)。',
  'admin.field.tooShort': '{min} 文字以上で入力してください。',
  'admin.field.tooLong': '{max} 文字以内で入力してください。',
  'admin.field.tooSmall': '{min} 以上の値を入力してください。',
  'admin.field.tooBig': '{max} 以下の値を入力してください。',
  'admin.field.tooFew': '{min} 個以上選択してください。',
  'admin.field.tooMany': '{max} 個以内で選択してください。',
  'admin.field.invalidOption': '次のいずれかを選択してください: {options}',
  'admin.field.email': 'メール アドレスを入力してください。',
  'admin.field.url': 'http または https のアドレスを入力してください。',
  'admin.field.format': '形式が正しくありません。',
  'admin.field.unknown': 'この項目は使用できません。',
  'admin.field.invalid': 'この値は使用できません。',
  'admin.field.detail': 'この値は使用できません: {detail}',
  'admin.field.object': 'JSON オブジェクトを送信してください。',

  'admin.dashboard.title': 'ダッシュボード',
  'admin.dashboard.users': '有効なユーザー',
  'admin.dashboard.disabled': '無効なユーザー',
  'admin.dashboard.registered': 'セキュリティ情報を登録済みのユーザー',
  'admin.dashboard.capable': 'パスワードをリセットできるユーザー',
  'admin.dashboard.resets': '過去 30 日間のパスワード リセット',
  'admin.dashboard.recent': '最近の管理操作',

  'admin.policy.title': 'ポリシー',
  'admin.policy.lead': '変更はすぐに有効になり、変更前と変更後の値が監査ログに記録されます。',
  'admin.policy.save': 'ポリシーを保存',
  'admin.policy.saved': 'ポリシーを保存しました。変更した項目: {keys}',
  'admin.policy.unchanged': '変更はありませんでした。',
  'admin.policy.groupsRequired':
    '選択したグループにパスワード リセットを許可する場合は、グループを 1 つ以上選択してください。',
  'admin.policy.unknownGroups': '次のグループは存在しません: {names}',
  'admin.policy.listHint': '1 行に 1 つずつ入力します。',
  'admin.policy.noGroups': 'グループがまだありません。[グループ] ページで作成してください。',
  'admin.policy.section.reset': 'パスワード リセット',
  'admin.policy.section.registration': '登録',
  'admin.policy.section.notifications': '通知とヘルプデスク',
  'admin.policy.section.signin': 'サインイン',
  'admin.policy.section.password': 'パスワード',
  'admin.policy.section.branding': 'ブランド',
  'admin.policy.section.other': 'その他の設定',
  'admin.policy.organizationName': '組織名',
  'admin.policy.resetScope': 'パスワードをリセットできるユーザー',
  'admin.policy.resetScope.none': 'なし',
  'admin.policy.resetScope.selected': '選択したグループのメンバー',
  'admin.policy.resetScope.all': 'すべてのユーザー',
  'admin.policy.resetGroups': '選択したグループ',
  'admin.policy.resetMethods': 'パスワード リセットに使用できる方法',
  'admin.policy.resetGatesRequired': 'リセットに必要な方法の数',
  'admin.policy.resetGatesRequired.hint':
    '管理者には常に 2 つ必要で、秘密の質問は管理者の方法として数えられません。',
  'admin.policy.registrationRequired': 'サインイン時にユーザーに登録を求める',
  'admin.policy.reconfirmDays': 'セキュリティ情報の再確認を求めるまでの日数',
  'admin.policy.reconfirmDays.hint': '0 から 730。0 の場合は求めません。',
  'admin.policy.notifyUserOnReset': 'パスワードがリセットされたときにユーザーに通知する',
  'admin.policy.notifyAdminsOnAdminReset': '管理者がパスワードをリセットしたときに、すべての管理者に通知する',
  'admin.policy.helpdeskContact': 'ヘルプデスクの連絡先',
  'admin.policy.helpdeskContact.hint':
    '"default" の場合はヘルプデスク ユーザー (いなければ管理者) にメールを送ります。Web アドレスまたはメール アドレスも指定できます。',
  'admin.policy.allowUnlockWithoutReset': 'パスワードを変更せずにアカウントのロックを解除することを許可する',
  'admin.policy.foldEligibilityMessages':
    'リセットを開始できない理由にかかわらず同じメッセージを表示する (アカウントの有無を明かしません)',
  'admin.policy.mfa': '多要素サインイン',
  'admin.policy.mfa.off': 'オフ',
  'admin.policy.mfa.whenRegistered': 'ユーザーが方法を登録している場合',
  'admin.policy.mfa.required': '必須',
  'admin.policy.passwordMinLength': 'パスワードの最小文字数',
  'admin.policy.passwordHistory': '再使用できない過去のパスワードの数',
  'admin.policy.bannedPasswords': 'パスワードに使用できない語句',
  'admin.policy.allowedPhoneCountries': 'テキスト メッセージと音声通話の送信先として許可する国',
  'admin.policy.allowedPhoneCountries.hint':
    'JP や US などの 2 文字の国コードを 1 行に 1 つずつ入力します。空の場合は組織の国のみです。',
  'admin.policy.logoUrl': 'ロゴのアドレス',
  'admin.policy.logoUrl.hint':
    'すべてのページとメールに表示する画像の https アドレス。表示しない場合は空にします。',
  'admin.policy.accentColor': 'アクセント カラー',
  'admin.policy.accentColor.hint': '#rrggbb の形式で指定します (例: #2b5fd9)。',
  'admin.policy.auditRetentionDays': '監査イベントの保存日数',
  'admin.policy.auditRetentionDays.hint':
    'これより古いイベントは自動的に削除されます。0 の場合は削除しません。',

  'admin.users.title': 'ユーザー',
  'admin.users.search': '検索',
  'admin.users.searchLabel': 'ユーザー ID、名前またはメール',
  'admin.users.status': '状態',
  'admin.users.any': 'すべて',
  'admin.users.count': '該当するユーザー: {count} 人',
  'admin.users.new': 'ユーザーを作成',
  'admin.users.prev': '前のページ',
  'admin.users.next': '次のページ',
  'admin.users.shown': 'このページのユーザー: {count} 人',
  'admin.users.truncated': 'さらに該当するユーザーがいます。次のページをご覧ください。',
  'admin.users.first': '最初のページ',
  'admin.col.login': 'ユーザー ID',
  'admin.col.name': '名前',
  'admin.col.email': 'メール',
  'admin.col.status': '状態',
  'admin.col.roles': 'ロール',
  'admin.col.created': '作成日',
  'admin.col.time': '日時 (UTC)',
  'admin.col.actor': '実行者',
  'admin.col.subject': '対象ユーザー',
  'admin.col.activity': 'アクティビティ',
  'admin.col.result': '結果',
  'admin.col.reason': '理由',
  'admin.col.ip': 'IP アドレス',
  'admin.col.details': '詳細',
  'admin.status.active': '有効',
  'admin.status.disabled': '無効',

  'admin.user.create.title': 'ユーザーを作成',
  'admin.user.login': 'ユーザー ID',
  'admin.user.displayName': '表示名',
  'admin.user.email': 'メール アドレス (通知用)',
  'admin.user.roles': 'ロール',
  'admin.user.passwordManaged': 'パスワード',
  'admin.user.passwordManaged.local': 'このサービスで管理する',
  'admin.user.passwordManaged.external': 'このサービスの外部で管理する (ディレクトリまたはフェデレーション)',
  'admin.user.create.submit': 'ユーザーを作成',
  'admin.user.created': 'ユーザー {login} を作成しました。',
  'admin.user.tempPassword': '一時パスワード',
  'admin.user.tempPasswordHint':
    '安全な方法でユーザーに伝えてください。表示されるのは今回だけで、ユーザーは次回のサインイン時に変更する必要があります。',
  'admin.user.title': 'ユーザー {login}',
  'admin.user.profile': 'プロフィール',
  'admin.user.groups': 'グループ',
  'admin.user.passwordChanged': 'パスワードの最終変更日時',
  'admin.user.mustChange': '次回のサインイン時にパスワードの変更が必要',
  'admin.user.lock': 'サインインのロック',
  'admin.user.locked': '{until} までロックされています',
  'admin.user.notLocked': 'ロックされていません (前回の成功以降の失敗: {failures} 回)',
  'admin.user.methods': '登録済みの方法',
  'admin.user.methodsNone': 'セキュリティ情報は登録されていません。',
  'admin.user.col.kind': '方法',
  'admin.user.col.added': '登録日',
  'admin.user.col.lastUsed': '最終使用日',
  'admin.user.default': '既定',
  'admin.user.reset': 'セルフサービス パスワード リセット',
  'admin.user.reset.capable': 'リセットできます: 必要な {need} 個のうち {have} 個の方法を登録済みです。',
  'admin.user.reset.notCapable':
    'まだリセットできません: 必要な {need} 個のうち {have} 個の方法を登録済みです。',
  'admin.user.reset.outOfScope': 'ポリシーによりパスワード リセットが許可されていません。',
  'admin.user.actions': '操作',
  'admin.user.save': 'プロフィールを保存',
  'admin.user.disable': 'アカウントを無効にする',
  'admin.user.enable': 'アカウントを有効にする',
  'admin.user.unlock': 'サインインのロックを解除',
  'admin.user.resetPassword': 'パスワードをリセット',
  'admin.user.resetPasswordHint':
    '次回のサインイン時に変更が必要な一時パスワードを設定し、すべての場所からサインアウトさせます。',
  'admin.user.requireReregistration': '再登録を要求',
  'admin.user.requireReregistrationHint':
    '登録済みの方法をすべて削除します。ユーザーは次回のサインイン時に登録し直します。',
  'admin.user.done.updated': 'プロフィールを保存しました。',
  'admin.user.done.disabled': 'アカウントを無効にし、すべての場所からサインアウトさせました。',
  'admin.user.done.enabled': 'アカウントを有効にしました。',
  'admin.user.done.unlocked': 'サインインのロックを解除しました。',
  'admin.user.done.reregistration': '登録済みの方法をすべて削除しました。',
  'admin.user.done.reset': '一時パスワードを設定しました。',
  'admin.user.loginFormat': '英字、数字と . _ @ + - のみを使用してください。',
  'admin.user.loginTaken': 'このユーザー ID は既に使用されています。',
  'admin.user.selfRole': '自分の管理者ロールは削除できません。',
  'admin.user.selfDisable': '自分のアカウントは無効にできません。',
  'admin.user.passwordExternal':
    'このパスワードはこのサービスの外部で管理されているため、ここではリセットできません。',

  'admin.groups.title': 'グループ',
  'admin.groups.lead':
    'ポリシーで選択したグループにパスワード リセットを許可している場合、これらのグループで利用できるユーザーが決まります。',
  'admin.groups.name': 'グループ名',
  'admin.groups.create': 'グループを作成',
  'admin.groups.members': 'メンバー',
  'admin.groups.inPolicy': 'リセット ポリシーで使用中',
  'admin.groups.delete': 'グループを削除',
  'admin.groups.memberLogin': 'ユーザー ID',
  'admin.groups.add': 'メンバーを追加',
  'admin.groups.remove': '削除',
  'admin.groups.removeNamed': '{login} を削除',
  'admin.groups.noMembers': 'メンバーはまだいません。',
  'admin.groups.none': 'グループはまだありません。',
  'admin.group.title': 'グループ {name}',
  'admin.group.nameTaken': '同じ名前のグループが既にあります。',
  'admin.group.inUse': 'このグループはリセット ポリシーで使用されています。先にポリシーから外してください。',

  'admin.clients.title': 'アプリケーション',
  'admin.clients.lead': 'このサービスでサインインするアプリケーション (OpenID Connect クライアント) です。',
  'admin.clients.new': 'アプリケーションを登録',
  'admin.client.title': 'アプリケーション {id}',
  'admin.client.clientId': 'クライアント ID',
  'admin.client.name': '名前',
  'admin.client.redirectUris': 'リダイレクト URI',
  'admin.client.postLogoutRedirectUris': 'ログアウト後のリダイレクト URI',
  'admin.client.grantTypes': 'グラント タイプ',
  'admin.client.public':
    'シークレットを持たないパブリック クライアント (シングルページ アプリやモバイル アプリ)',
  'admin.client.firstParty': 'ファースト パーティ (同意画面を表示しない)',
  'admin.client.scope': '許可するスコープ (スペース区切り、省略可。空欄なら "admin" 以外のすべて)',
  'admin.client.builtinTag': '組み込み',
  'admin.client.builtinHint': '組み込みのアプリケーションはサービス自身が管理します。',
  'admin.client.create': '登録',
  'admin.client.save': '保存',
  'admin.client.rotate': 'シークレットを再発行',
  'admin.client.delete': 'アプリケーションを削除',
  'admin.client.secret': 'クライアント シークレット',
  'admin.client.secretHint': '今すぐ保管してください。表示されるのは今回だけです。',
  'admin.client.jwksRequired': 'private_key_jwt にはアプリの公開鍵 (JWK Set または JWKS URI) が必要です。',
  'admin.client.jwksInvalid':
    '1〜10 個の RSA・EC・OKP 公開鍵からなる JWK Set {"keys": [...]} を指定してください。',
  'admin.client.jwksOne': 'JWK Set と JWKS URI のどちらか一方を指定してください。',
  'admin.client.authMethodPublic': '公開アプリの認証方式は "none" のみです。機密アプリには使えません。',
  'admin.client.sidNeedsUri': 'sid を必須にするにはバックチャネル ログアウト URI が必要です。',
  'admin.user.noEmailToVerify': '確認済みにするメール アドレスがありません。',
  'admin.user.selfDelete': '自分自身のアカウントは削除できません。',
  'admin.policy.serviceDocumentationUrl': 'アプリ開発者向けドキュメント (ディスカバリーで公開)',
  'admin.policy.opPolicyUrl': 'プライバシー ポリシーのアドレス (ディスカバリーで公開)',
  'admin.policy.opTosUrl': '利用規約のアドレス (ディスカバリーで公開)',
  'admin.client.idTokenAlg': 'ID トークンの署名アルゴリズム',
  'admin.client.authMethod': 'トークン エンドポイントの認証方式',
  'admin.client.jwksUri': 'JWKS URI (private_key_jwt)',
  'admin.client.jwks': 'JWK Set、JSON 形式 (private_key_jwt)',
  'admin.client.backchannelLogoutUri': 'バックチャネル ログアウト URI',
  'admin.client.backchannelLogoutSessionRequired': 'ログアウト トークンに sid を含める',
  'admin.client.created': 'アプリケーション {id} を登録しました。',
  'admin.client.rotated':
    '{id} の新しいシークレットを発行しました。古いシークレットは使用できなくなりました。',
  'admin.client.saved': 'アプリケーションを保存しました。',
  'admin.client.deleted': 'アプリケーションを削除しました。',
  'admin.client.uri': 'フラグメントを含まない、http(s) またはアプリの絶対アドレスを入力してください。',
  'admin.client.publicCredentials': 'パブリック クライアントは client_credentials を使用できません。',
  'admin.client.redirectRequired': 'authorization_code にはリダイレクト URI が 1 つ以上必要です。',
  'admin.client.idTaken': 'このクライアント ID のアプリケーションは既にあります。',
  'admin.client.builtin': '組み込みのアプリケーションは変更できません。',
  'admin.client.noSecret': 'パブリック クライアントにはシークレットがありません。',

  'admin.audit.title': '監査ログ',
  'admin.audit.from': '開始日 (YYYY-MM-DD、UTC)',
  'admin.audit.to': '終了日 (YYYY-MM-DD、UTC)',
  'admin.audit.user': 'ユーザー ID',
  'admin.audit.activity': 'アクティビティ',
  'admin.audit.activityHint': '正確な名前、または admin.* のように * で終わる前方一致',
  'admin.audit.result': '結果',
  'admin.audit.filter': '絞り込む',
  'admin.audit.csv': 'CSV でダウンロード',
  'admin.audit.more': 'さらに古いイベント',
  'admin.audit.none': '該当するイベントはありません。',
  'admin.audit.badDate': 'YYYY-MM-DD の形式で日付を入力してください。',
  'admin.result.succeeded': '成功',
  'admin.result.failed': '失敗',
  'admin.result.blocked': 'ブロック',
  'admin.result.cancelled': 'キャンセル',
  'admin.result.abandoned': '中断',
  'admin.result.contacted_admin': '管理者に問い合わせ',

  'admin.reports.title': 'レポート',
  'admin.reports.lead': '{date} (UTC) までの 30 日間のアクティビティと、現在の登録状況です。',
  'admin.reports.registration': '登録状況とリセットの可否',
  'admin.reports.registration.active': '有効なユーザー',
  'admin.reports.registration.registered': 'セキュリティ情報を登録済み',
  'admin.reports.registration.inScope': 'リセットが許可されている',
  'admin.reports.registration.capable': 'リセットできる',
  'admin.reports.methods': '種類別の登録済みの方法',
  'admin.reports.methods.users': 'ユーザー数',
  'admin.reports.methods.registered': '登録数',
  'admin.reports.resetsPerDay': '1 日あたりのパスワード リセット',
  'admin.reports.resetsPerMethod': '使用された方法別のパスワード リセット',
  'admin.reports.outcomes': 'パスワード リセットの試行の結果',
  'admin.reports.col.measure': '項目',
  'admin.reports.col.count': '件数',
  'admin.reports.col.day': '日付',
  'admin.reports.col.method': '方法',
  'admin.reports.col.result': '結果',
  'admin.reports.total': '合計: {count}',
  'admin.reports.chart': 'グラフ: {title}',

  'admin.contacts.title': '問い合わせ',
  'admin.contacts.lead': '[管理者に問い合わせる] で支援を求めたユーザーです。',
  'admin.contacts.none': '問い合わせはありません。',
  'admin.policy.section.questions': '秘密の質問',
  'admin.policy.section.delivery': 'テキスト メッセージ、音声通話とメール',
  'admin.policy.section.audit': '監査ログ',
  'admin.policy.questionsOffered': '選択できる定義済みの質問',
  'admin.policy.questionsCustom': '独自の質問 (各 3 から 200 文字、最大 20 個)',
  'admin.policy.questionsRequiredToRegister': 'ユーザーが登録する質問の数',
  'admin.policy.questionsRequiredToReset': 'リセット時に尋ねる質問の数',
  'admin.policy.questionsRequiredToReset.hint': 'ユーザーが登録する数より多くはできません。',
  'admin.policy.phoneHourlyBudget':
    '全ユーザー合計の 1 時間あたりのテキスト メッセージと音声通話の数 (超えると電話による送信を停止します)',
  'admin.policy.phoneSendsPerNumberPerHour': '電話番号ごとの 1 時間あたりのテキスト メッセージと音声通話の数',
  'admin.policy.phoneSendsPerAccountPerHour':
    'アカウントごとの 1 時間あたりのテキスト メッセージと音声通話の数',
  'admin.policy.phoneSendsPerIpPerHour': 'IP アドレスごとの 1 時間あたりのテキスト メッセージと音声通話の数',
  'admin.policy.emailSendsPerAddressPer10Minutes': 'アドレスごとの 10 分あたりのメールの数',
  'admin.policy.emailSendsPerAccountPerHour': 'アカウントごとの 1 時間あたりのメールの数',
  'admin.policy.emailSendsPerIpPerHour': 'IP アドレスごとの 1 時間あたりのメールの数',
  // -- end administration --

  // -- sign-in steps, lockout, portal --
  'method.app': '認証アプリ',
  'method.sms': 'テキスト メッセージ (SMS)',
  'method.voice': '音声通話',
  'method.phone': '電話',
  'method.securityKey': 'セキュリティ キーまたはパスキー',
  'method.email': 'メール',
  'method.questions': 'セキュリティの質問',
  'signin.locked.title': 'アカウントが一時的にロックされています',
  'signin.locked.lead':
    'サインインの失敗が続いたため、アカウントを保護するためにしばらくロックしています。時間をおいてもう一度お試しいただくか、今すぐパスワードをリセットしてください。',
  'signin.locked.retry': 'もう一度試す',
  'signin.passkeyFailed':
    'このパスキーではサインインできませんでした。もう一度お試しいただくか、パスワードを使用してください。',
  'signin.methodUnavailable': 'この方法はお使いのアカウントでは利用できません。',
  'signin.mfa.title': '本人確認',
  'signin.mfa.lead': '{method} を使用してサインインを完了してください。',
  'signin.mfa.another': '別の方法でサインインする',
  'signin.mfa.lost': 'どの方法も使用できない場合',
  'signin.register.title': '詳細情報が必要です',
  'signin.register.lead':
    'アカウントを安全に保ち、パスワードを自分でリセットできるようにするため、組織は追加の情報を必要としています。',
  'signin.register.add': '方法を追加する',
  'signin.register.skip': '後で',
  'signin.register.back': '戻る',
  'signin.reconfirm.title': 'セキュリティ情報は最新ですか?',
  'signin.reconfirm.lead': 'これらの方法で引き続き本人確認ができることを確認してください。',
  'signin.reconfirm.ok': '問題ありません',
  'signin.reconfirm.later': '変更がある場合は、サインイン後にセキュリティ情報のページで更新してください。',
  'securityInfo.registered': '登録済みの方法',
  'securityInfo.notAddable': 'この方法は追加できません。',
  'securityInfo.limit': 'この種類の方法は上限 ({max}) まで登録されています。',
  'securityInfo.notFound': 'その方法は見つかりません。',
  'portal.nav': 'アカウント',
  'portal.signout': 'サインアウト',
  'portal.back': 'セキュリティ情報に戻る',
  'portal.sessionExpired': 'セッションが終了しました。もう一度サインインしてください。',
  'portal.signInAgain':
    'セキュリティ保護のため、セキュリティ情報を変更する前にもう一度サインインしてください。',
  'portal.signInCancelled': 'サインインがキャンセルされました。',
  'portal.securityInfo.title': 'セキュリティ情報',
  'portal.securityInfo.lead':
    'サインインとパスワードのリセットに使用する方法です。いずれかが使えなくなった場合に備えて、複数登録してください。',
  'portal.done.added': '方法を追加しました。',
  'portal.done.removed': '方法を削除しました。',
  'portal.done.default': '既定のサインイン方法を変更しました。',
  'portal.done.password': 'パスワードを変更しました。',
  'portal.col.method': '方法',
  'portal.col.added': '追加日',
  'portal.col.lastUsed': '最終使用日',
  'portal.col.actions': '操作',
  'portal.col.time': '日時 (UTC)',
  'portal.col.activity': 'アクティビティ',
  'portal.col.result': '結果',
  'portal.default': '既定のサインイン方法',
  'portal.resetOnly': 'パスワード リセット専用',
  'portal.makeDefault': '既定にする',
  'portal.delete': '削除',
  'portal.deleteNamed': '{name} を削除',
  'portal.none': 'セキュリティ情報はまだ登録されていません。',
  'portal.add': '方法を追加する',
  'portal.password.title': 'パスワードの変更',
  'portal.password.current': '現在のパスワード',
  'portal.password.new': '新しいパスワード',
  'portal.password.confirm': '新しいパスワードの確認',
  'portal.password.hint':
    '8 文字以上にしてください。関連のない単語をいくつか組み合わせると、覚えやすく強力なパスワードになります。',
  'portal.password.submit': 'パスワードを変更',
  'portal.password.mismatch': '2 つの新しいパスワードが一致しません。',
  'portal.password.currentWrong': '現在のパスワードが正しくありません。',
  'portal.activity.title': '最近のアクティビティ',
  'signin.changePassword.title': '新しいパスワードの設定',
  'signin.changePassword.lead':
    '管理者から一時パスワードが発行されています。続行するには自分のパスワードを設定してください。',
  'portal.rename': '名前を変更',
  'portal.renameLabel': '{name} の新しい名前',
  'portal.renameInvalid': '名前は 1 ～ 64 文字で入力してください。',
  'portal.done.renamed': '方法の名前を変更しました。',
  // -- end sign-in steps, lockout, portal --
  // -- sec-defaults --
  'error.controlCharacters':
    'リクエストに使用できない文字（制御文字など）が含まれています。取り除いてからもう一度お試しください。',
  'error.localOnly': 'このページは Tobira が動作しているコンピューター上からのみ利用できます。',
  'error.metricsToken': '有効なメトリクス用トークン（Authorization: Bearer）が必要です。',
  // -- sec-admin --
  'admin.error.secondFactorRequired':
    'アクセス トークンは 2 要素目を使ったサインインで発行されたものである必要があります。2 要素目を使ってサインインし直してください。',
  'admin.client.adminGrant': 'admin スコープを許可する (管理 API へのアクセス)',
  'admin.client.adminGrantHint':
    '既定ではオフです。クライアント資格情報では完全な管理者として動作します。ユーザーについては、ファースト パーティのアプリケーションだけが、2 要素目を使ったサインインの後にこのスコープを受け取れます。',
  'admin.client.adminTag': '管理',
  'admin.client.adminInScope':
    'admin スコープはここには書きません。「admin スコープを許可する」を使ってください。',
  'signin.register.leadSecondFactor':
    '組織の設定により、サインインのたびに本人確認の 2 つ目の方法が必要です。続けるには、次のいずれかの方法を追加してください。',
  'signin.register.secondFactorRequired':
    'この手順は省略できません。続けるにはサインイン方法を追加するか、サインアウトしてください。',
  'signin.register.signOut': 'サインアウト',
  // -- sec-notices --
  'admin.nav.notices': '未配信の通知',
  'admin.notices.title': '未配信の通知',
  'admin.notices.lead':
    '通知はキューに入れられ、バックグラウンドで送信されます (約 3 時間再試行します)。以下の通知は送信できませんでした。メール設定 (SMTP_URL) を確認し、該当するユーザーには別の方法で連絡してください。',
  'admin.notices.depth': '送信待ち {pending} 件、未配信 {failed} 件 (30 日間保持)。',
  'admin.notices.none': 'すべての通知が配信されました。',
  'admin.notices.col.purpose': '通知',
  'admin.notices.col.tries': '試行回数',
  'admin.notices.col.error': '最後のエラー',
  // -- sec-counters --
  'notice.secondFactorLocked.subject': 'アカウントへのサインインが一時的にロックされました',
  'notice.secondFactorLocked.body':
    'アカウント {login} のパスワードが入力された後、2 段階目の確認に何度も失敗しました。{until} までサインインできません。',
  'notice.secondFactorLocked.notYou':
    '心当たりがない場合は、パスワードを第三者に知られています。今すぐパスワードをリセットしてください。',
  'notice.secondFactorLocked.reset': 'パスワードをリセットする',
  'signin.secondFactorLocked':
    '確認に失敗した回数が多すぎるため、アカウント保護のため確認を一時的にロックしました。しばらくしてからもう一度お試しください。',
  'portal.password.locked':
    'サインインの失敗が多すぎるため、アカウントを一時的にロックしました。しばらくしてからもう一度お試しください。',
  // -- profile email verification --
  'emailMethod.mail.leadVerify': '{org} でメールアドレスを確認するには、次のコードを使用してください:',
  'emailVerify.title': 'メールアドレスの確認',
  'emailVerify.link': 'メールアドレスを確認する',
  'emailVerify.unverified':
    'メールアドレス {address} はまだ確認されていません。サインインするアプリが確認済みのメールアドレスを求めることがあります。',
  'emailVerify.verifiedState': 'メールアドレス {address} は確認済みです。',
  'emailVerify.none': 'アカウントにメールアドレスがありません。管理者に追加を依頼してください。',
  'emailVerify.lead':
    '{address} に 6 桁のコードを送信します。次のページで入力して、このアドレスがあなたのものであることを確認してください。',
  'emailVerify.send': 'コードを送信',
  'emailVerify.codeLead':
    '{address} に 6 桁のコードを記載したメールを送信しました。下に入力してください。有効期限は 10 分です。',
  'emailVerify.codeLabel': '6 桁のコード',
  'emailVerify.submit': 'メールアドレスを確認',
  'emailVerify.resend': '新しいコードを送信',
  'emailVerify.noEmail': 'アカウントに確認するメールアドレスがありません。',
  'emailVerify.already': 'メールアドレスは確認済みです。',
  'emailVerify.changed': 'コードの送信後にメールアドレスが変更されました。新しいコードを要求してください。',
  'portal.done.emailVerified': 'メールアドレスを確認しました。',
  // -- console: delete user, email verification --
  'admin.user.emailVerified': '確認済み',
  'admin.user.emailUnverified': '未確認',
  'admin.user.markEmailVerified': 'メールアドレスを確認済みにする',
  'admin.user.markEmailUnverified': 'メールアドレスを未確認にする',
  'admin.user.done.email_verified': 'メールアドレスを確認済みにしました。',
  'admin.user.done.email_unverified': 'メールアドレスを未確認にしました。',
  'admin.user.delete': 'このユーザーを削除…',
  'admin.user.deleteTitle': 'ユーザー {login} を削除しますか?',
  'admin.user.deleteLead':
    'アカウント、そのセキュリティ情報とグループのメンバーシップを消去し、すべてのアプリからサインアウトします。監査記録は仮名で残ります。元に戻すことはできません。',
  'admin.user.deleteConfirm': '{login} を削除',
  'admin.user.deleteCancel': 'キャンセル',
  'admin.user.done.deleted': 'ユーザー {login} を削除しました。',
};

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
  'reset.coming':
    'このサーバーでは、セルフサービスのパスワード リセットはまだ利用できません。管理者に問い合わせてください。',

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
  'password.common': 'このパスワードはよく使われているため使用できません。推測されにくいものを選んでください。',
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
  // -- end delivery, notices, outbox --

  // -- methods/phone (text message and phone call) --
  // -- end methods/phone --

  // -- methods/email --
  // -- end methods/email --

  // -- methods/questions (security questions) --
  // -- end methods/questions --

  // -- reset flow --
  // -- end reset flow --

  // -- administration --
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
  'signin.passkeyFailed': 'このパスキーではサインインできませんでした。もう一度お試しいただくか、パスワードを使用してください。',
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
  'portal.signInAgain': 'セキュリティ保護のため、セキュリティ情報を変更する前にもう一度サインインしてください。',
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
  'portal.password.hint': '8 文字以上にしてください。関連のない単語をいくつか組み合わせると、覚えやすく強力なパスワードになります。',
  'portal.password.submit': 'パスワードを変更',
  'portal.password.mismatch': '2 つの新しいパスワードが一致しません。',
  'portal.password.currentWrong': '現在のパスワードが正しくありません。',
  'portal.activity.title': '最近のアクティビティ',
  // -- end sign-in steps, lockout, portal --
};

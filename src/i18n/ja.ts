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

  'voice.repeat': 'もう一度繰り返します。コードは',
  'voice.goodbye': '以上です。失礼いたします。',
  // -- end delivery, notices, outbox --

  // -- methods/phone (text message and phone call) --
  // -- end methods/phone --

  // -- methods/email --
  // -- end methods/email --

  // -- methods/questions (security questions) --
  'questions.describe': '秘密の質問 {count} 件',
  'questions.enroll.lead':
    '異なる質問を {count} つ選び、それぞれに答えを入力してください。パスワードをリセットするときに、この中からいくつかの質問に答えていただきます。',
  'questions.enroll.rules':
    '答えはそれぞれ {min} 文字以上 {max} 文字以内で、すべて異なるものにしてください。大文字と小文字、全角と半角、余分なスペースは区別しません。ひらがな・カタカナ・漢字やアクセント記号付きの文字は区別するので、覚えやすい書き方で入力してください。',
  'questions.enroll.private':
    '答えは誰にも読めない形で保存され、管理者も見ることはできません。後から表示したり編集したりすることはできないため、変更するには秘密の質問を削除して登録し直してください。',
  'questions.enroll.question': '質問 {n}',
  'questions.enroll.choose': '質問を選んでください',
  'questions.enroll.placeholder': '(未選択)',
  'questions.enroll.predefined': '用意されている質問',
  'questions.enroll.custom': '組織が追加した質問',
  'questions.enroll.answer': '質問 {n} の答え',
  'questions.enroll.submit': '秘密の質問を保存',
  'questions.verify.lead': '登録したときと同じように、次の質問に答えてください。',
  'questions.verify.hint': '大文字と小文字、全角と半角、余分なスペースは区別しません。',
  'questions.verify.submit': '確認',
  'questions.not_for_admins': '管理者アカウントでは秘密の質問を使用できません。',
  'questions.already_registered':
    '秘密の質問はすでに登録されています。新しく登録するには、先に登録済みの質問を削除してください。',
  'questions.not_enough_offered': '登録に必要な数の秘密の質問が用意されていません。管理者に問い合わせてください。',
  'questions.choose_all': '{count} つの質問すべてについて、質問を選んで答えを入力してください。',
  'questions.unknown_question': '選んだ質問の中に、現在は使用できない質問があります。質問を選び直してください。',
  'questions.duplicate_question': '質問はそれぞれ異なるものを選んでください。',
  'questions.duplicate_answer': '答えはそれぞれ異なるものにしてください。',
  'questions.answer_too_short': '答えはそれぞれ {min} 文字以上で入力してください。',
  'questions.answer_too_long': '答えはそれぞれ {max} 文字以内で入力してください。',
  'questions.answer_format': 'すべての質問に答えてください。答えは {min} 文字以上 {max} 文字以内です。',
  'questions.not_registered': '秘密の質問が登録されていません。',
  'questions.set_too_small':
    '登録されている秘密の質問が組織の現在の要件を満たしていません。別の方法を使用し、後で秘密の質問を登録し直してください。',
  'questions.expired': 'この質問は有効期限が切れたか、すでに回答済みです。いま表示されている質問に答えてください。',
  'questions.wrong': '正しくない答えがあります。いま表示されている質問に答えてください (前回と異なる場合があります)。',
  'questions.too_many':
    '間違った答えが多すぎます。セキュリティ保護のため、秘密の質問は現在使用できません。別の方法を使用するか、しばらくしてからもう一度お試しください。',
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
  'reset.identify.lead': 'アカウントに再びアクセスするには、ユーザー ID を入力してください。本人確認のあと、新しいパスワードを設定します。',
  'reset.identify.username': 'ユーザー ID',
  'reset.identify.submit': '次へ',
  'reset.identify.missing': 'ユーザー ID を入力してください。',
  'reset.identify.pow': '自動送信の確認が完了していません。完了するまで待ってから、もう一度お試しください。',
  'reset.identify.back': 'サインインに戻る',
  'reset.external.title': '管理者に問い合わせてください',
  'reset.external.lead':
    'このアカウントのパスワードは別のシステムで管理されているため、ここではリセットできません。管理者またはヘルプデスクに問い合わせてください。',
  'reset.notEnabled.title': 'お使いのアカウントはパスワード リセットが有効になっていません',
  'reset.notEnabled.lead': '組織はこのアカウントでセルフサービスのパスワード リセットを使用できるように設定していません。',
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
  'reset.methodBlocked': 'この方法は失敗が続いたため 24 時間ブロックされています。別の方法を選択してください。',
  'reset.stepOrder': '先に前の手順を完了してください。',
  'reset.method.others': '別の方法を選択する',
  'reset.password.title': '新しいパスワードの設定',
  'reset.password.lead': '本人確認が完了しました。アカウントの新しいパスワードを設定してください。',
  'reset.password.new': '新しいパスワード',
  'reset.password.confirm': '新しいパスワードの確認',
  'reset.password.submit': 'パスワードをリセット',
  'reset.unlock.lead': 'サインインの失敗が続いたため、アカウントはロックされています。現在のパスワードのままロックを解除することもできます。',
  'reset.unlock.submit': 'パスワードを変更せずにロックを解除する',
  'reset.done.title': 'パスワードをリセットしました',
  'reset.done.unlocked': 'アカウントのロックを解除しました。現在のパスワードでサインインしてください。',
  'reset.done.lead': '新しいパスワードでサインインしてください。ほかのすべての場所からはサインアウトされました。',
  'reset.done.signin': 'サインイン',
  'reset.cancel': 'キャンセル',
  'notice.passwordReset.subject': 'パスワードがリセットされました',
  'notice.passwordReset.body': 'アカウント {login} のパスワードが「アカウントにアクセスできない場合」からリセットされました。',
  'notice.passwordReset.sessions': 'すべてのアプリとデバイスからサインアウトされました。',
  'notice.adminReset.subject': '管理者がパスワードをリセットしました: {login}',
  'notice.adminReset.body': '管理者アカウント {login} がセルフサービス パスワード リセットでパスワードをリセットしました。',
  'notice.contactAdmin.subject': '{login} からパスワードに関する支援の依頼',
  'notice.contactAdmin.body': 'ユーザー {login} は自分でパスワードをリセットできず、管理者に支援を求めています。',
  'reset.done.unlockedTitle': 'アカウントのロックを解除しました',
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

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
  // -- end methods/app --

  // -- methods/securityKey (security keys and passkeys) --
  // -- end methods/securityKey --

  // -- password policy --
  // -- end password policy --

  // -- sign-in steps, lockout, portal --
  // -- end sign-in steps, lockout, portal --
};

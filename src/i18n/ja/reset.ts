import type { reset as en } from '../en/reset.ts';

/** The self-service password reset flow and its proof of work. */
export const reset: Record<keyof typeof en, string> = {
  'reset.title': 'アカウントにアクセスできない場合',
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
  'reset.done.unlockedTitle': 'アカウントのロックを解除しました',
  'pow.checking': '確認しています… 確認が終わるとすぐに送信します。',
  'pow.done': '確認が完了しました。送信しています…',
  'pow.failed': '確認を完了できませんでした。もう一度送信してください。',
  'reset.unverified.registerText':
    '再びサインインできるようになったら、次回はご自身でパスワードをリセットできるように、セキュリティ情報を登録してください。',
  'reset.unverified.registerLink': 'セキュリティ情報へ移動',
  'reset.first.verifyLead':
    'パスワードを設定するには、まず本人確認をしてください。ステップ {gate}/{required}: 方法を選んでください。',
  'reset.first.passwordTitle': 'パスワードを設定',
  'reset.first.passwordLead': '本人確認が完了しました。アカウントのパスワードを決めてください。',
  'reset.first.submit': 'パスワードを設定',
  'reset.first.doneTitle': 'パスワードを設定しました',
  'reset.first.doneLead': '新しいパスワードでサインインしてください。',
};

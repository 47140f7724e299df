import type { notices as en } from '../en/notices.ts';

/** Notice emails and the delivery outbox. */
export const notices: Record<keyof typeof en, string> = {
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
  'notice.secondFactorLocked.subject': 'アカウントへのサインインが一時的にロックされました',
  'notice.secondFactorLocked.body':
    'アカウント {login} のパスワードが入力された後、2 段階目の確認に何度も失敗しました。{until} までサインインできません。',
  'notice.secondFactorLocked.notYou':
    '心当たりがない場合は、パスワードを第三者に知られています。今すぐパスワードをリセットしてください。',
  'notice.secondFactorLocked.reset': 'パスワードをリセットする',
  'notice.orgMethod.added.subject': '組織があなたのアカウントに連絡先情報を追加しました',
  'notice.orgMethod.added.body':
    '組織があなたのアカウント {login} に次の連絡先情報を追加しました: {method}。セキュリティ情報のページで確認・置き換え・削除ができます。',
  'notice.orgMethod.replaced.subject': '組織があなたのアカウントの連絡先情報を変更しました',
  'notice.orgMethod.replaced.body':
    '組織があなたのアカウント {login} の次の連絡先情報を変更しました: {method}。セキュリティ情報のページで確認・置き換え・削除ができます。',
  'notice.orgMethod.removed.subject': '組織があなたのアカウントから連絡先情報を削除しました',
  'notice.orgMethod.removed.body':
    '組織があなたのアカウント {login} から次の連絡先情報を削除しました: {method}。',
  'notice.passwordSet.subject': 'パスワードが設定されました',
  'notice.passwordSet.body':
    'アカウント {login} のパスワードが設定されました。アカウントを使い始めることができます。',
};

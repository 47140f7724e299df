/** The verification methods: app, security keys, phone, email, security questions. */
export const methods = {
  'app.default_label': 'Authenticator app',
  'app.enroll.title': 'Set up an authenticator app',
  'app.enroll.step1':
    'Install an authenticator app on your phone if you do not have one yet. Any app that supports time-based one-time codes (TOTP) works, such as Microsoft Authenticator or Google Authenticator.',
  'app.enroll.step2': 'In the app, choose to add an account, then scan this QR code.',
  'app.enroll.qrAlt': 'QR code to scan with your authenticator app',
  'app.enroll.manual': "Can't scan the code? Add the account by typing these details instead:",
  'app.enroll.keyLabel': 'Key',
  'app.enroll.accountLabel': 'Account',
  'app.enroll.typeLabel': 'Type',
  'app.enroll.typeValue': 'Time-based, 6 digits',
  'app.enroll.step3': 'Enter the 6-digit code the app now shows for this account, to check that it works.',
  'app.enroll.codeLabel': '6-digit code',
  'app.enroll.nameLabel': 'Name for this app (optional)',
  'app.enroll.nameHint': 'Helps you tell your apps apart, for example "Work phone". Up to 64 characters.',
  'app.enroll.submit': 'Add authenticator app',
  'app.verify.lead': 'Open your authenticator app and enter the 6-digit code it shows for this account.',
  'app.verify.codeLabel': 'Code',
  'app.verify.submit': 'Verify',
  'app.code_format': 'Enter the 6-digit code from your app, using digits only.',
  'app.code_invalid':
    'That code is not correct. Check that the time on your phone is right and enter the newest code.',
  'app.code_used': 'That code has already been used. Wait for the app to show a new code, then enter it.',
  'app.too_many':
    'Too many incorrect codes. For your security, this method cannot be used right now. Use another method, or try again later.',
  'app.enroll_expired':
    'This setup has expired or was replaced by a newer one. Start again to get a new QR code.',
  'app.enroll_exhausted': 'Too many incorrect codes. Start the setup again to get a new QR code.',
  'app.name_too_long': 'The name can be at most {max} characters long.',
  'app.limit_reached':
    'You already have {max} authenticator apps registered. Remove one before adding another.',
  'securityKey.method': 'Security key or passkey',
  'securityKey.defaultName': 'Security key',
  'securityKey.nameInvalid': 'Enter a name of 1 to 64 characters for your security key.',
  'securityKey.badResponse': 'The answer from your browser could not be read. Try again.',
  'securityKey.expired': 'This request has expired or was already used. Start again.',
  'securityKey.failed': "We couldn't verify your security key or passkey. Try again.",
  'securityKey.notRegistered': 'This security key or passkey is not registered to your account.',
  'securityKey.unknownPasskey':
    "This passkey isn't registered here. Sign in with your user ID and password, then add it to your security info.",
  'securityKey.alreadyRegistered': 'This security key or passkey is already registered.',
  'securityKey.limit':
    'You can register up to {max} security keys and passkeys. Remove one before adding another.',
  'securityKey.exhausted': 'Too many failed attempts with a security key. Use another method.',
  'securityKey.enroll.title': 'Add a security key or passkey',
  'securityKey.enroll.lead':
    'Give it a name so you can recognize it later, then select Continue and follow the instructions from your browser: insert and touch your key, or confirm with your fingerprint, face or device PIN.',
  'securityKey.enroll.name': 'Name',
  'securityKey.enroll.nameHint': 'For example "Blue YubiKey" or "Work laptop". Up to 64 characters.',
  'securityKey.enroll.submit': 'Continue',
  'securityKey.enroll.noKey':
    "If this browser can't use security keys or passkeys, add one later from a browser that supports them, or choose another method.",
  'securityKey.verify.title': 'Use your security key or passkey',
  'securityKey.verify.lead':
    'Select Continue and follow the instructions from your browser: insert and touch your key, or confirm with your fingerprint, face or device PIN.',
  'securityKey.verify.submit': 'Continue',
  'securityKey.verify.noKey':
    'Don\'t have your key with you, or this browser can\'t use it? Choose "Sign in another way" to use a different method.',
  'securityKey.passkey.submit': 'Sign in with a passkey',
  'securityKey.passkey.hint':
    'Use a passkey on this device, a phone nearby or a security key instead of a password.',
  'securityKey.noscript':
    'Security keys and passkeys need JavaScript. Turn it on in your browser, or use another method.',
  'securityKey.msg.unsupported':
    "This browser doesn't support security keys or passkeys. Use another method, or try a browser that supports them.",
  'securityKey.msg.cancelled': 'The request was cancelled or timed out. Select Continue to try again.',
  'securityKey.msg.registered': 'This security key or passkey is already registered to your account.',
  'securityKey.msg.error':
    'Your browser could not use the security key or passkey. Try again, or use another method.',
  'voice.repeat': 'Once again, your code is',
  'voice.goodbye': 'Goodbye.',
  'phone.enroll.lead':
    'Choose the country, type the number, and we will send a code to it to check that it reaches you.',
  'phone.enroll.country': 'Country or region',
  'phone.enroll.number': 'Phone number',
  'phone.enroll.numberHint': 'For example 090-1234-5678. Numbers with an extension cannot be used.',
  'phone.enroll.type': 'Which phone is this?',
  'phone.enroll.type.mobile': 'Mobile phone (text messages and calls)',
  'phone.enroll.type.alternate': 'Alternate phone (calls only, for example an office phone)',
  'phone.enroll.via': 'How should we send the code?',
  'phone.enroll.via.sms': 'Text me a code',
  'phone.enroll.via.voice': 'Call me',
  'phone.enroll.submit': 'Send code',
  'phone.enroll.codeLead.sms':
    'We sent a text message with a 6-digit code to {number}. Enter the code to finish adding the phone.',
  'phone.enroll.codeLead.voice':
    'We are calling {number}. Answer the call, then enter the 6-digit code you hear.',
  'phone.enroll.codeLabel': '6-digit code',
  'phone.enroll.codeSubmit': 'Add phone',
  'phone.enroll.resendSms': 'Text me a new code',
  'phone.enroll.resendVoice': 'Call me with a new code',
  'phone.enroll.restart': 'Use a different number',
  'phone.verify.lead.sms': 'We sent a text message with a 6-digit code to {number}. Enter it below.',
  'phone.verify.lead.voice': 'We are calling {number}. Answer the call and enter the 6-digit code you hear.',
  'phone.verify.codeLabel': 'Code',
  'phone.verify.submit': 'Verify',
  'phone.verify.resend.sms': 'Send a new code',
  'phone.verify.resend.voice': 'Call again with a new code',
  'phone.verify.phoneLabel': 'Phone to call',
  'phone.verify.callThis': 'Call this phone',
  'phone.confirm.lead':
    'To protect your account, first type your whole phone number. We send a code only when it matches the number you registered.',
  'phone.confirm.hint': 'Your registered number ends in {digits}.',
  'phone.confirm.submit.sms': 'Text me a code',
  'phone.confirm.submit.voice': 'Call me',
  'phone.sms.text':
    '{code} is your {org} verification code. It expires in {minutes} minutes. Do not share it with anyone.',
  'phone.voice.text': 'Hello. This is {org}. Your verification code is',
  'phone.numberMissing': 'Enter your phone number.',
  'phone.numberInvalid':
    'That is not a valid phone number for the country you chose. Check the number and the country.',
  'phone.extension':
    'Phone numbers with an extension cannot be used, because the code call cannot dial it. Enter a direct number.',
  'phone.countryMissing':
    'Choose the country of the number, or type it with its country code, starting with +.',
  'phone.numberNotAccepted':
    'This kind of number (premium rate, shared cost or similar) cannot be used. Enter a mobile or landline number.',
  'phone.notMobile':
    'This is not a mobile number. Register it as an alternate phone for calls, or enter a mobile number.',
  'phone.smsNeedsMobile': 'Text messages can only go to a mobile number. Choose "Call me" instead.',
  'phone.typeInvalid': 'Choose whether this is your mobile or an alternate phone.',
  'phone.mobileTaken':
    'You already have a mobile phone registered. Remove it first, or add this one as an alternate phone.',
  'phone.alternateTaken':
    'You already have an alternate phone registered. Remove it first to add another one.',
  'phone.duplicate': 'This phone number is already registered to your account.',
  'phone.limitReached':
    'You can register up to {max} phones: a mobile and an alternate. Remove one before adding another.',
  'phone.countryNotAllowed':
    'Your organization does not allow sending codes to phone numbers in this country. Use another method, or ask your administrator.',
  'phone.codeSent': 'We sent a code to {number}. Enter it below.',
  'phone.codeResent': 'We sent a new code to {number}. Earlier codes no longer work.',
  'phone.enterNumber': 'Enter the phone number you want to add.',
  'phone.enrollExpired': 'This code has expired. Enter your number again to get a new one.',
  'phone.codeFormat': 'Enter the 6-digit code, using digits only.',
  'phone.codeInvalidSms':
    'That code is not correct. Check the newest text message and try again ({remaining} tries left).',
  'phone.codeInvalidVoice':
    'That code is not correct. Try again, or ask for a new call ({remaining} tries left).',
  'phone.codeExpired': 'This code has expired or was already used. Ask for a new code.',
  'phone.tooMany':
    'Too many incorrect entries. For your security, this method cannot be used right now. Use another method, or try again later.',
  'phone.tooManyEnroll': 'Too many incorrect codes. Try again in an hour.',
  'phone.limitNumber':
    'Too many codes were sent to this phone recently. Try again in {minutes} minutes, or use another method.',
  'phone.limitAccount':
    'Too many codes were sent for your account recently. Try again in {minutes} minutes, or use another method.',
  'phone.limitIp':
    'Too many codes were requested from your network recently. Try again in {minutes} minutes, or use another method.',
  'phone.paused':
    'Text messages and phone calls are paused for a while. Use another method, or try again later.',
  'phone.smsFailed': "We couldn't send a text message. Use another method, or try again later.",
  'phone.callFailed': "We couldn't call your phone. Use another method, or try again later.",
  'phone.noPhone': 'You have no phone registered that can be used for this.',
  'phone.numberMismatch':
    'That number does not match the phone you registered. Check it and try again, or use another method.',
  'phone.alert.subject': 'Text messages and phone calls are paused at {org}',
  'phone.alert.body':
    '{org} sent {budget} text messages and phone calls within an hour, the hourly limit set in its policy. New ones are paused until {until}; users are asked to use other methods meanwhile.',
  'phone.alert.advice':
    'A sudden rise can mean someone is abusing the sign-in or reset pages to send costly messages (toll fraud). Check the activity, and raise the limit (phoneHourlyBudget) only if the traffic is genuine.',
  'phone.alert.action': 'Open the administration console',
  'emailMethod.enroll.lead':
    'Add an email address other than the one you sign in with, for example a personal address. You can use it to reset your password. We will send a code to check that it reaches you.',
  'emailMethod.enroll.address': 'Email address',
  'emailMethod.enroll.addressHint': 'Up to 254 characters, for example name@example.com.',
  'emailMethod.enroll.submit': 'Send code',
  'emailMethod.enroll.codeLead':
    'We sent an email with a 6-digit code to {address}. Enter the code to finish adding the address.',
  'emailMethod.enroll.codeLabel': '6-digit code',
  'emailMethod.enroll.codeSubmit': 'Add email address',
  'emailMethod.enroll.resend': 'Send a new code',
  'emailMethod.enroll.restart': 'Use a different address',
  'emailMethod.verify.lead': 'We sent an email with a 6-digit code to {address}. Enter it below.',
  'emailMethod.verify.codeLabel': 'Code',
  'emailMethod.verify.submit': 'Verify',
  'emailMethod.verify.resend': 'Send a new code',
  'emailMethod.mail.subject': 'Your {org} verification code',
  'emailMethod.mail.leadEnroll':
    'Someone asked to add this email address to their security info at {org}. If it was you, enter this code:',
  'emailMethod.mail.leadReset': 'Use this code to verify your identity and reset your password at {org}:',
  'emailMethod.mail.expires': 'The code expires in {minutes} minutes. Do not share it with anyone.',
  'emailMethod.mail.ignore': 'If you did not ask for this code, you can ignore this message.',
  'emailMethod.addressMissing': 'Enter an email address.',
  'emailMethod.addressInvalid':
    'Enter one email address, like name@example.com, without spaces, commas or line breaks.',
  'emailMethod.tooLong': 'The email address can be at most {max} characters long.',
  'emailMethod.isSignInAddress': 'Use an address other than the one you sign in with.',
  'emailMethod.isProfileAddress':
    'Use an address other than your account email: if you lose access to your account, you may lose that mailbox too.',
  'emailMethod.limitReached':
    'You already have an email address registered. Remove it before adding another.',
  'emailMethod.codeSent': 'We sent a code to {address}. Enter it below.',
  'emailMethod.codeResent': 'We sent a new code to {address}. Earlier codes no longer work.',
  'emailMethod.enterAddress': 'Enter the email address you want to add.',
  'emailMethod.enrollExpired': 'This code has expired. Enter the address again to get a new one.',
  'emailMethod.codeFormat': 'Enter the 6-digit code, using digits only.',
  'emailMethod.codeInvalid':
    'That code is not correct. Check the newest email and try again ({remaining} tries left).',
  'emailMethod.codeExpired': 'This code has expired or was already used. Ask for a new code.',
  'emailMethod.tooMany':
    'Too many incorrect entries. For your security, this method cannot be used right now. Use another method, or try again later.',
  'emailMethod.tooManyEnroll': 'Too many incorrect codes. Try again in an hour.',
  'emailMethod.limitAddress':
    'Too many emails were sent to this address recently. Try again in {minutes} minutes, or use another method.',
  'emailMethod.limitAccount':
    'Too many emails were sent for your account recently. Try again in {minutes} minutes, or use another method.',
  'emailMethod.limitIp':
    'Too many emails were requested from your network recently. Try again in {minutes} minutes, or use another method.',
  'emailMethod.sendFailed': "We couldn't send the email. Use another method, or try again later.",
  'emailMethod.noAddress': 'You have no email address registered for this.',
  'questions.describe': '{count} security questions',
  'questions.enroll.lead':
    'Choose {count} different questions and answer each one. If you ever need to reset your password, we will ask you some of them.',
  'questions.enroll.rules':
    'Each answer must be {min} to {max} characters long, and each answer must be different. Upper and lower case, full-width and half-width characters and extra spaces do not matter. Hiragana, katakana, kanji and accented letters do, so write each answer the way you will remember it.',
  'questions.enroll.private':
    'Your answers are stored in a form that nobody can read, not even an administrator. You cannot view or edit them later: to change them, delete your security questions and register them again.',
  'questions.enroll.question': 'Question {n}',
  'questions.enroll.choose': 'Choose a question',
  'questions.enroll.placeholder': '(Not chosen)',
  'questions.enroll.predefined': 'Suggested questions',
  'questions.enroll.custom': "Your organization's questions",
  'questions.enroll.answer': 'Answer to question {n}',
  'questions.enroll.submit': 'Save security questions',
  'questions.verify.lead': 'Answer these questions the way you answered them when you registered them.',
  'questions.verify.hint':
    'Upper and lower case, full-width and half-width characters and extra spaces do not matter.',
  'questions.verify.submit': 'Verify',
  'questions.not_for_admins': 'Security questions cannot be used with an administrator account.',
  'questions.already_registered':
    'You have already registered security questions. Delete them first to register a new set.',
  'questions.not_enough_offered':
    'Not enough security questions are available to register. Contact your administrator.',
  'questions.choose_all': 'Choose a question and give an answer for each of the {count} questions.',
  'questions.unknown_question':
    'One of the chosen questions is no longer offered. Choose your questions again.',
  'questions.duplicate_question': 'Choose a different question each time.',
  'questions.duplicate_answer': 'Give a different answer to each question.',
  'questions.answer_too_short': 'Each answer must be at least {min} characters long.',
  'questions.answer_too_long': 'Each answer can be at most {max} characters long.',
  'questions.answer_format': 'Answer every question. Each answer is {min} to {max} characters long.',
  'questions.not_registered': 'You have not registered security questions.',
  'questions.set_too_small':
    "Your security questions no longer meet your organization's requirements. Use another method, and register your security questions again later.",
  'questions.expired':
    'These questions have expired or were already answered. Answer the questions shown now.',
  'questions.wrong':
    'At least one answer is not correct. Answer the questions shown now, which may be different.',
  'questions.too_many':
    'Too many incorrect answers. For your security, security questions cannot be used right now. Use another method, or try again later.',
  'questions.q.first_school_city': 'In which city or town was the first school you attended?',
  'questions.q.childhood_best_friend': 'What was the first name of your closest friend when you were ten?',
  'questions.q.favorite_primary_teacher':
    'What was the family name of your favorite teacher in elementary school?',
  'questions.q.childhood_nickname': 'What nickname did your family call you by as a child?',
  'questions.q.first_concert': 'Which performer did you see at the first concert you went to?',
  'questions.q.first_film_in_cinema': 'What is the first film you remember seeing in a movie theater?',
  'questions.q.first_book_read_alone': 'What is the first book you remember reading on your own?',
  'questions.q.first_album_bought': 'What was the first album or single you bought with your own money?',
  'questions.q.first_pay_purchase': 'What did you buy with your first pay?',
  'questions.q.childhood_dream_job': 'As a child, what did you want to be when you grew up?',
  'questions.q.childhood_hero': 'Who was your hero when you were a child?',
  'questions.q.favorite_childhood_toy': 'What was your favorite toy as a child?',
  'questions.q.childhood_snack': 'Which snack did you buy most often as a child?',
  'questions.q.first_dish_cooked': 'What was the first dish you learned to cook?',
  'questions.q.first_game_owned': 'What was the first video game or board game you owned?',
  'questions.q.parents_meeting_place': 'In which city or town did your parents meet?',
  'questions.q.grandmother_hometown': 'In which town or village did one of your grandmothers grow up?',
  'questions.q.first_trip_abroad_city': 'What was the first city you visited outside your home country?',
  'questions.q.childhood_neighbor_name':
    'What was the family name of your next-door neighbors when you were a child?',
  'questions.q.childhood_hiding_place': 'Where was your favorite hiding place as a child?',
  'questions.q.first_gift_remembered': 'What is the earliest present you remember receiving?',
  'questions.q.first_date_place': 'Where did you go on your first date?',
  'questions.q.first_night_away': 'At whose home did you spend your first night away from your family?',
  'questions.q.childhood_holiday_place':
    'Where did your family most often go on holiday when you were a child?',
  'questions.q.first_stage_role': 'What role did you play in your first school play?',
  'questions.q.birthday_dish': 'What dish did you always ask for on your birthday as a child?',
  'questions.q.school_lunch_favorite': 'What was your favorite school lunch?',
  'method.app': 'Authenticator app',
  'method.sms': 'Text message',
  'method.voice': 'Phone call',
  'method.phone': 'Phone',
  'method.securityKey': 'Security key or passkey',
  'method.email': 'Email',
  'method.questions': 'Security questions',
  'emailMethod.mail.leadVerify': 'Use this code to confirm your email address at {org}:',
} as const;

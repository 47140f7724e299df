/** The predefined questions; the catalogue is policy data (src/policy/questions.ts). */
export { isQuestionId, QUESTION_IDS, type QuestionId, questionKey } from '../../policy/questions.ts';

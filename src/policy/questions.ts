import type { MessageKey } from '../i18n/en/index.ts';

/*
 * The predefined security questions. Each id is stable (it is stored with the user's answers and in
 * the `questionsOffered` setting), and its text lives in src/i18n under `questions.<id>`.
 *
 * Chosen to be about small, stable memories that the person is unlikely to have published: no
 * mother's maiden name, birthplace, pets, schools attended or employers, which are public records or
 * sit on social-media profiles. This module is data only and lives with the policy, so that
 * policy/settings.ts validates ids against it without reaching up into methods/ (which re-exports it
 * as methods/questions/catalogue.ts).
 */
export const QUESTION_IDS = [
  'q.first_school_city',
  'q.childhood_best_friend',
  'q.favorite_primary_teacher',
  'q.childhood_nickname',
  'q.first_concert',
  'q.first_film_in_cinema',
  'q.first_book_read_alone',
  'q.first_album_bought',
  'q.first_pay_purchase',
  'q.childhood_dream_job',
  'q.childhood_hero',
  'q.favorite_childhood_toy',
  'q.childhood_snack',
  'q.first_dish_cooked',
  'q.first_game_owned',
  'q.parents_meeting_place',
  'q.grandmother_hometown',
  'q.first_trip_abroad_city',
  'q.childhood_neighbor_name',
  'q.childhood_hiding_place',
  'q.first_gift_remembered',
  'q.first_date_place',
  'q.first_night_away',
  'q.childhood_holiday_place',
  'q.first_stage_role',
  'q.birthday_dish',
  'q.school_lunch_favorite',
] as const;

export type QuestionId = (typeof QUESTION_IDS)[number];

export function isQuestionId(id: unknown): id is QuestionId {
  return typeof id === 'string' && (QUESTION_IDS as readonly string[]).includes(id);
}

/** The message key holding a predefined question's text. */
export function questionKey(id: QuestionId): MessageKey {
  return `questions.${id}` satisfies MessageKey;
}

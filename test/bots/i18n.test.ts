// Issue 22, must show 3 (the catalogue's half): every key of the message catalogue has every language, each
// giving a sentence; the Chinese one is Chinese, not English left over.
import { describe, expect, it } from 'vitest';
import { catalogueFor, LANGUAGES } from '../../bots/shared/i18n/index.ts';
import { en } from '../../bots/shared/i18n/en.ts';

const CJK = /[\u4e00-\u9fff]/;
// Keys whose words are commands or markup the member types, the same in every language.
const SAME_EVERYWHERE = new Set(['dcForgetAlbum']);
// Parameters that are not strings (a list, a count, a flag): sample values by key and position.
const samples: Record<string, unknown[]> = {
  membersList: [2, ['1. A', '2. B']],
  photosGoTo: [['Ann', 'Bo']],
  memberLine: [1, 'Ann', '2026-12-04 20:00', true],
  severalFaces: [3],
  pick: [2],
  dcPick: [2],
  retentionWarning: ['#photos', 7],
  privacy: [365],
  forgotDependent: ['Howie', 2],
  forgotten: [true],
  joined: ['Ann', true],
  dcAddedFace: [2],
  dcRegisteredList: [2, 'Ann and Bo'],
  dcForgotten: [true],
  dcAlbumDeleted: [true],
  albumDeletedEverywhere: [true],
  notifyMode: ['digest'],
  notMe: ['removed'],
  questionAnswered: ['delivered'],
  badImage: ['not_an_image'],
};
const call = (fn: (...args: never[]) => string, key: string) => (fn as (...args: unknown[]) => string)(...(samples[key] ?? Array.from({ length: fn.length }, (_, i) => `P${i}`)));

describe('the message catalogue', () => {
  it('has every key in every language, each a non-empty sentence; the Chinese ones are Chinese', () => {
    const keys = Object.keys(en);
    expect(keys.length).toBeGreaterThan(100);
    for (const [language, catalogue] of Object.entries(LANGUAGES)) {
      expect(Object.keys(catalogue).sort(), `${language} has exactly the English keys`).toEqual([...keys].sort());
      for (const key of keys) {
        const fn = (catalogue as Record<string, (...args: never[]) => string>)[key];
        expect(typeof fn, `${language}.${key}`).toBe('function');
        const text = call(fn!, key);
        expect(text.trim().length, `${language}.${key}`).toBeGreaterThan(0);
        if (language === 'zh' && !SAME_EVERYWHERE.has(key)) expect(text, `zh.${key} is Chinese`).toMatch(CJK);
      }
    }
  });

  it('picks the language from the client: zh, zh-hans, zh-CN are Chinese; anything else English', () => {
    for (const tag of ['zh', 'zh-hans', 'zh-Hans', 'zh-CN', 'zh_SG']) expect(catalogueFor(tag), tag).toBe(LANGUAGES.zh);
    for (const tag of ['en', 'en-US', 'de', 'pt-BR', '', undefined]) expect(catalogueFor(tag), String(tag)).toBe(LANGUAGES.en);
  });
});

import { describe, expect, it } from 'vitest';
import {
  featureDirName,
  isSlug,
  isWorkPackageId,
  normalizeWorkPackageId,
  parseFeatureDirName,
  parseWorkPackageBranch,
  slugify,
} from '../../src/domain/identifiers.js';

describe('work package ids', () => {
  it('are WP + 2 or 3 digits', () => {
    expect(['WP01', 'WP99', 'WP100'].every(isWorkPackageId)).toBe(true);
    expect(['WP1', 'WP0001', 'wp01', '../WP01', 'WP01 ', 'WP01/..'].some(isWorkPackageId)).toBe(false);
  });

  it('normalizes what people type', () => {
    expect(normalizeWorkPackageId('wp02')).toBe('WP02');
    expect(normalizeWorkPackageId('2')).toBe('WP02');
    expect(normalizeWorkPackageId('102')).toBe('WP102');
    expect(normalizeWorkPackageId('../x')).toBeUndefined();
    expect(normalizeWorkPackageId('WP1')).toBeUndefined();
  });
});

describe('slugs', () => {
  it('are kebab-case ASCII from free text', () => {
    expect(slugify('Users can sign in with GitHub!')).toBe('users-can-sign-in-with-github');
    expect(slugify('Café crème: über-fast résumé export')).toBe('cafe-creme-uber-fast-resume-export');
    expect(slugify('../../etc/passwd')).toBe('etc-passwd');
    expect(slugify('日本語')).toBe('');
  });

  it('are cut at a word boundary within 60 characters', () => {
    const slug = slugify('a very long description that goes on and on well past the sixty character limit');
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug).toBe('a-very-long-description-that-goes-on-and-on-well-past-the');
    expect(slugify('x'.repeat(80))).toHaveLength(60);
  });

  it('are validated when given', () => {
    expect(isSlug('user-auth')).toBe(true);
    for (const bad of ['', 'User-Auth', 'a--b', '-a', 'a-', '../x', 'a b', 'x'.repeat(61)]) {
      expect(isSlug(bad), bad).toBe(false);
    }
  });
});

describe('feature names', () => {
  it('split into number and slug', () => {
    expect(parseFeatureDirName('001-user-auth')).toEqual({
      name: '001-user-auth',
      number: 1,
      numberText: '001',
      slug: 'user-auth',
    });
    expect(parseFeatureDirName('1-x')).toBeUndefined();
    expect(parseFeatureDirName('.001-x.tmp')).toBeUndefined();
    expect(parseFeatureDirName('notes')).toBeUndefined();
    expect(featureDirName(7, 'x')).toBe('007-x');
    expect(featureDirName(1234, 'x')).toBe('1234-x');
  });

  it('are read from WP branch names', () => {
    expect(parseWorkPackageBranch('001-user-auth-WP02')).toEqual({ feature: '001-user-auth', wp: 'WP02' });
    expect(parseWorkPackageBranch('main')).toBeUndefined();
    expect(parseWorkPackageBranch('001-user-auth')).toBeUndefined();
  });
});

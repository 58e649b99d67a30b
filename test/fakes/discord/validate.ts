// Request validation with Discord's documented limits, answering 50035 Invalid Form Body like Discord.
import { invalidFormBody, isRecord, E, type FieldError, type Reply } from './util.ts';

const maxLength = (path: FieldError['path'], n: number): FieldError => ({
  path,
  code: 'BASE_TYPE_MAX_LENGTH',
  message: `Must be ${n} or fewer in length.`,
});
const badLength = (path: FieldError['path'], min: number, max: number): FieldError => ({
  path,
  code: 'BASE_TYPE_BAD_LENGTH',
  message: `Must be between ${min} and ${max} in length.`,
});
const required = (path: FieldError['path']): FieldError => ({
  path,
  code: 'BASE_TYPE_REQUIRED',
  message: 'This field is required',
});

const strLen = (value: unknown): number => (typeof value === 'string' ? [...value].length : 0);

export const IS_COMPONENTS_V2 = 1 << 15;

/** Embed limits (title 256, description 4096, 25 fields of 256/1024, footer 2048, author 256, 6000 total). */
function checkEmbeds(embeds: unknown, errors: FieldError[]): void {
  if (embeds === undefined || embeds === null) return;
  if (!Array.isArray(embeds)) {
    errors.push({ path: ['embeds'], code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    return;
  }
  if (embeds.length > 10) errors.push(maxLength(['embeds'], 10));
  let total = 0;
  embeds.forEach((embed: unknown, i) => {
    if (!isRecord(embed)) return;
    const limit = (value: unknown, n: number, path: FieldError['path']): void => {
      total += strLen(value);
      if (strLen(value) > n) errors.push(maxLength(['embeds', i, ...path], n));
    };
    limit(embed['title'], 256, ['title']);
    limit(embed['description'], 4096, ['description']);
    if (isRecord(embed['footer'])) limit(embed['footer']['text'], 2048, ['footer', 'text']);
    if (isRecord(embed['author'])) limit(embed['author']['name'], 256, ['author', 'name']);
    const fields = embed['fields'];
    if (Array.isArray(fields)) {
      if (fields.length > 25) errors.push(maxLength(['embeds', i, 'fields'], 25));
      fields.forEach((field: unknown, j) => {
        if (!isRecord(field)) return;
        if (typeof field['name'] !== 'string') errors.push(required(['embeds', i, 'fields', j, 'name']));
        if (typeof field['value'] !== 'string') errors.push(required(['embeds', i, 'fields', j, 'value']));
        limit(field['name'], 256, ['fields', j, 'name']);
        limit(field['value'], 1024, ['fields', j, 'value']);
      });
    }
  });
  if (total > 6000) {
    errors.push({
      path: ['embeds'],
      code: 'MAX_EMBED_SIZE_EXCEEDED',
      message: 'Embed size exceeds maximum size of 6000',
    });
  }
}

/** Legacy (non-V2) components: ≤ 5 action rows of ≤ 5 buttons; custom_id ≤ 100, label ≤ 80, link URL ≤ 512. */
function checkComponents(components: unknown, flags: number, errors: FieldError[]): void {
  if (components === undefined || components === null) return;
  if (!Array.isArray(components)) {
    errors.push({ path: ['components'], code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    return;
  }
  if (flags & IS_COMPONENTS_V2) {
    if (components.length > 40) errors.push(maxLength(['components'], 40));
    return;
  }
  if (components.length > 5) errors.push(maxLength(['components'], 5));
  components.forEach((row: unknown, i) => {
    if (!isRecord(row)) return;
    if (row['type'] !== 1) {
      errors.push({
        path: ['components', i, 'type'],
        code: 'UNION_TYPE_CHOICES',
        message: `Value of field "type" must be one of (1,).`,
      });
      return;
    }
    const children = Array.isArray(row['components']) ? (row['components'] as unknown[]) : [];
    if (children.length === 0) errors.push(badLength(['components', i, 'components'], 1, 5));
    if (children.length > 5) errors.push(maxLength(['components', i, 'components'], 5));
    children.forEach((child: unknown, j) => {
      if (!isRecord(child)) return;
      const path = ['components', i, 'components', j];
      if (strLen(child['custom_id']) > 100) errors.push(maxLength([...path, 'custom_id'], 100));
      if (child['type'] === 2) {
        if (strLen(child['label']) > 80) errors.push(maxLength([...path, 'label'], 80));
        if (child['style'] === 5) {
          if (typeof child['url'] !== 'string') errors.push(required([...path, 'url']));
          else if (child['url'].length > 512) errors.push(maxLength([...path, 'url'], 512));
          if (child['custom_id'] !== undefined) {
            errors.push({
              path: [...path, 'custom_id'],
              code: 'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED',
              message: 'A custom id cannot be specified for this button style',
            });
          }
        } else if (child['style'] !== 6 && typeof child['custom_id'] !== 'string') {
          errors.push({
            path: [...path, 'custom_id'],
            code: 'BUTTON_COMPONENT_CUSTOM_ID_REQUIRED',
            message: 'A custom id is required',
          });
        }
      } else if (typeof child['type'] === 'number' && [3, 5, 6, 7, 8].includes(child['type'])) {
        if (typeof child['custom_id'] !== 'string') errors.push(required([...path, 'custom_id']));
        if (Array.isArray(child['options']) && child['options'].length > 25)
          errors.push(maxLength([...path, 'options'], 25));
      }
    });
  });
}

/** Validates a message create/edit body. `create` also rejects an empty message (50006). */
export function validateMessage(
  body: unknown,
  create: boolean,
  fileCount: number,
  prefix: FieldError['path'] = [],
): Reply | undefined {
  if (body !== undefined && !isRecord(body))
    return invalidFormBody([
      { path: [], code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' },
    ]);
  const b = body ?? {};
  const errors: FieldError[] = [];
  const content = b['content'];
  if (content !== undefined && content !== null && typeof content !== 'string') {
    errors.push({ path: ['content'], code: 'BASE_TYPE_STRING', message: 'Must be a string.' });
  }
  if (strLen(content) > 2000) errors.push(maxLength(['content'], 2000));
  const flags = typeof b['flags'] === 'number' ? b['flags'] : 0;
  if (flags & IS_COMPONENTS_V2 && strLen(content) > 0) {
    errors.push({
      path: ['content'],
      code: 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
      message: "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
    });
  }
  checkEmbeds(b['embeds'], errors);
  checkComponents(b['components'], flags, errors);
  if (create) checkNonce(b, errors);
  if (errors.length > 0) return invalidFormBody(errors.map((e) => ({ ...e, path: [...prefix, ...e.path] })));
  if (create && isEmptyMessage(b, fileCount)) return E.emptyMessage();
  return undefined;
}

/** `nonce`: an integer or a string of up to 25 characters; `enforce_nonce`: a boolean. */
function checkNonce(b: Record<string, unknown>, errors: FieldError[]): void {
  const nonce = b['nonce'];
  if (nonce !== undefined && nonce !== null) {
    if (typeof nonce === 'string') {
      if (strLen(nonce) > 25) errors.push(maxLength(['nonce'], 25));
    } else if (typeof nonce !== 'number' || !Number.isInteger(nonce)) {
      errors.push({ path: ['nonce'], code: 'BASE_TYPE_STRING', message: 'Must be a string.' });
    }
  }
  const enforce = b['enforce_nonce'];
  if (enforce !== undefined && enforce !== null && typeof enforce !== 'boolean')
    errors.push({
      path: ['enforce_nonce'],
      code: 'BASE_TYPE_BOOLEAN',
      message: 'Must be either true or false.',
    });
}

/** True when a message body has nothing to show. */
export function isEmptyMessage(b: Record<string, unknown>, fileCount: number): boolean {
  const has = (key: string): boolean => Array.isArray(b[key]) && (b[key] as unknown[]).length > 0;
  return (
    strLen(b['content']) === 0 &&
    !has('embeds') &&
    !has('components') &&
    !has('sticker_ids') &&
    b['poll'] === undefined &&
    fileCount === 0
  );
}

const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkName(
  name: unknown,
  chatInput: boolean,
  path: FieldError['path'],
  errors: FieldError[],
  option: boolean,
): void {
  if (typeof name !== 'string') {
    errors.push(required(path));
    return;
  }
  if (chatInput) {
    if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
      errors.push(
        option
          ? { path, code: 'APPLICATION_COMMAND_OPTION_INVALID_NAME', message: 'Option name is invalid' }
          : { path, code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' },
      );
    }
  } else if (strLen(name) < 1 || strLen(name) > 32) {
    errors.push(badLength(path, 1, 32));
  }
}

function checkOptions(options: unknown, path: FieldError['path'], depth: number, errors: FieldError[]): void {
  if (options === undefined || options === null) return;
  if (!Array.isArray(options)) {
    errors.push({ path, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    return;
  }
  if (options.length > 25) errors.push(maxLength(path, 25));
  const names = new Set<string>();
  let sawOptional = false;
  options.forEach((option: unknown, i) => {
    const p = [...path, i];
    if (!isRecord(option)) return;
    const type = option['type'];
    if (typeof type !== 'number' || type < 1 || type > 11) {
      errors.push({
        path: [...p, 'type'],
        code: 'BASE_TYPE_CHOICES',
        message: 'Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.',
      });
      return;
    }
    checkName(option['name'], true, [...p, 'name'], errors, true);
    if (typeof option['name'] === 'string') {
      if (names.has(option['name'])) {
        errors.push({
          path: [...p, 'name'],
          code: 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS',
          message: 'Option names must be unique',
        });
      }
      names.add(option['name']);
    }
    const description = option['description'];
    if (typeof description !== 'string') errors.push(required([...p, 'description']));
    else if (strLen(description) < 1 || strLen(description) > 100)
      errors.push(badLength([...p, 'description'], 1, 100));
    checkLocalizations(
      option['description_localizations'],
      [...p, 'description_localizations'],
      1,
      100,
      errors,
    );
    if (type === 1 || type === 2) {
      if ((type === 2 && depth > 0) || (type === 1 && depth > 1)) {
        errors.push({
          path: [...p, 'type'],
          code: 'APPLICATION_COMMAND_OPTION_TYPE_INVALID',
          message: 'Sub-command and sub-command group option types are mutually exclusive to all other types',
        });
      }
      checkOptions(option['options'], [...p, 'options'], depth + 1, errors);
      return;
    }
    if (option['required'] === true) {
      if (sawOptional) {
        errors.push({
          path: [...p, 'required'],
          code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
          message: 'Required options must be placed before non-required options',
        });
      }
    } else sawOptional = true;
    const choices = option['choices'];
    if (Array.isArray(choices)) {
      if (choices.length > 25) errors.push(maxLength([...p, 'choices'], 25));
      choices.forEach((choice: unknown, j) => {
        if (!isRecord(choice)) return;
        if (strLen(choice['name']) < 1 || strLen(choice['name']) > 100)
          errors.push(badLength([...p, 'choices', j, 'name'], 1, 100));
        checkLocalizations(
          choice['name_localizations'],
          [...p, 'choices', j, 'name_localizations'],
          1,
          100,
          errors,
        );
        if (typeof choice['value'] === 'string' && strLen(choice['value']) > 100)
          errors.push(maxLength([...p, 'choices', j, 'value'], 100));
      });
    }
  });
}

/** The locales Discord accepts as keys of `*_localizations` (its documented list, dash-separated). */
export const DISCORD_LOCALES = [
  'id',
  'da',
  'de',
  'en-GB',
  'en-US',
  'es-ES',
  'es-419',
  'fr',
  'hr',
  'it',
  'lt',
  'hu',
  'nl',
  'no',
  'pl',
  'pt-BR',
  'ro',
  'fi',
  'sv-SE',
  'vi',
  'tr',
  'cs',
  'el',
  'bg',
  'ru',
  'uk',
  'hi',
  'th',
  'zh-CN',
  'ja',
  'zh-TW',
  'ko',
] as const;

/**
 * A `description_localizations` / `name_localizations` dictionary: null or a dictionary whose keys are
 * Discord locales (anything else: BASE_TYPE_CHOICES at that key, as Discord answers) and whose values
 * have the same length limits as the field itself.
 */
function checkLocalizations(
  value: unknown,
  p: FieldError['path'],
  min: number,
  max: number,
  errors: FieldError[],
): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) {
    errors.push({
      path: p,
      code: 'DICT_TYPE_CONVERT',
      message: 'Only dictionaries may be used in a DictType',
    });
    return;
  }
  for (const [locale, text] of Object.entries(value)) {
    if (!(DISCORD_LOCALES as readonly string[]).includes(locale)) {
      errors.push({
        path: [...p, locale],
        code: 'BASE_TYPE_CHOICES',
        message: `Value must be one of (${DISCORD_LOCALES.map((l) => `'${l}'`).join(', ')}).`,
      });
    } else if (typeof text !== 'string' || strLen(text) < min || strLen(text) > max) {
      errors.push(badLength([...p, locale], min, max));
    }
  }
}

/** Validates a bulk-overwrite body (array of commands). */
export function validateCommands(body: unknown): Reply | undefined {
  if (!Array.isArray(body))
    return invalidFormBody([{ path: [], code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }]);
  const errors: FieldError[] = [];
  if (body.length > 200) errors.push(maxLength([], 200));
  const seen = new Set<string>();
  body.forEach((command: unknown, i) => {
    if (!isRecord(command)) {
      errors.push({
        path: [i],
        code: 'DICT_TYPE_CONVERT',
        message: 'Only dictionaries may be used in a DictType',
      });
      return;
    }
    const errs = validateCommand(command);
    for (const e of errs) errors.push({ ...e, path: [i, ...e.path] });
    const key = JSON.stringify([command['type'] ?? 1, command['name']]);
    if (seen.has(key))
      errors.push({
        path: [],
        code: 'APPLICATION_COMMANDS_DUPLICATE_NAME',
        message: `Application command names must be unique`,
      });
    seen.add(key);
  });
  return errors.length > 0 ? invalidFormBody(errors) : undefined;
}

/** Field errors of one command (name 1-32 lowercase for chat input, description 1-100, ≤ 25 options). */
export function validateCommand(command: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const type = command['type'] ?? 1;
  if (type !== 1 && type !== 2 && type !== 3 && type !== 4) {
    errors.push({ path: ['type'], code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {1, 2, 3, 4}.' });
    return errors;
  }
  checkName(command['name'], type === 1, ['name'], errors, false);
  const description = command['description'];
  if (type === 1) {
    if (typeof description !== 'string') errors.push(required(['description']));
    else if (strLen(description) < 1 || strLen(description) > 100)
      errors.push(badLength(['description'], 1, 100));
    checkLocalizations(command['description_localizations'], ['description_localizations'], 1, 100, errors);
    checkOptions(command['options'], ['options'], 0, errors);
  } else if (typeof description === 'string' && description.length > 0) {
    errors.push(maxLength(['description'], 0));
  }
  return errors;
}

/** Components a Label may wrap (text input, the selects, file upload, radio/checkbox group, checkbox). */
const LABEL_CHILDREN = new Set([3, 4, 5, 6, 7, 8, 19, 21, 22, 23]);
/** File type groups of File Upload `file_types` (Discord's reference, "File Type Filtering"). */
export const FILE_TYPE_GROUPS: Record<string, readonly string[]> = {
  image: ['.png', '.gif', '.jpg', '.jpeg', '.jfif', '.webp', '.avif'],
  video: ['.mp4', '.mov', '.qt', '.webm'],
  audio: ['.mp3', '.m4a', '.wav', '.ogg', '.opus', '.flac'],
};

function checkInteractive(
  child: Record<string, unknown>,
  path: FieldError['path'],
  ids: Set<string>,
  errors: FieldError[],
): void {
  const id = child['custom_id'];
  if (typeof id !== 'string') errors.push(required([...path, 'custom_id']));
  else if (strLen(id) < 1 || strLen(id) > 100) errors.push(badLength([...path, 'custom_id'], 1, 100));
  else if (ids.has(id))
    errors.push({
      path: [...path, 'custom_id'],
      code: 'COMPONENT_CUSTOM_ID_DUPLICATED',
      message: 'Component custom id cannot be duplicated',
    });
  else ids.add(id);
}

/** File Upload (type 19): values 0–10, `min_values` ≥ 1 unless `required` is false, ≤ 10 file types. */
function checkFileUpload(
  child: Record<string, unknown>,
  path: FieldError['path'],
  errors: FieldError[],
): void {
  const int = (key: string, min: number, max: number): number | undefined => {
    const value = child[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      errors.push({ path: [...path, key], code: 'NUMBER_TYPE_COERCE', message: 'Value is not int.' });
      return undefined;
    }
    if (value < min)
      errors.push({
        path: [...path, key],
        code: 'NUMBER_TYPE_MIN',
        message: `int value should be greater than or equal to ${min}.`,
      });
    if (value > max)
      errors.push({
        path: [...path, key],
        code: 'NUMBER_TYPE_MAX',
        message: `int value should be less than or equal to ${max}.`,
      });
    return value;
  };
  const min = int('min_values', 0, 10);
  const max = int('max_values', 1, 10);
  if (min !== undefined && max !== undefined && min > max)
    errors.push({
      path: [...path, 'min_values'],
      code: 'COMPONENT_MIN_VALUES_GREATER_THAN_MAX',
      message: 'min_values must be less than or equal to max_values',
    });
  const requiredField = child['required'];
  if (requiredField !== undefined && typeof requiredField !== 'boolean')
    errors.push({
      path: [...path, 'required'],
      code: 'BASE_TYPE_BOOLEAN',
      message: 'Must be either true or false.',
    });
  if (requiredField !== false && min === 0)
    errors.push({
      path: [...path, 'min_values'],
      code: 'NUMBER_TYPE_MIN',
      message: 'min_values must be at least 1 when the component is required.',
    });
  const types = child['file_types'];
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types))
      errors.push({ path: [...path, 'file_types'], code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    else {
      if (types.length > 10) errors.push(maxLength([...path, 'file_types'], 10));
      types.forEach((type: unknown, i) => {
        if (typeof type !== 'string' || !(type in FILE_TYPE_GROUPS || /^\.[A-Za-z0-9]{1,16}$/.test(type)))
          errors.push({
            path: [...path, 'file_types', i],
            code: 'FILE_TYPE_INVALID',
            message: 'Must be image, video, audio or a dot-prefixed file extension.',
          });
      });
    }
  }
}

/**
 * A modal (interaction callback 9): custom_id 1–100, title 1–45, 1–5 top-level components. Each is a
 * Label (label ≤ 45, description ≤ 100) wrapping one modal component, a Text Display, or the legacy
 * action row holding one text input. A File Upload only lives inside a Label. Custom ids are unique.
 */
export function validateModal(data: Record<string, unknown>): Reply | undefined {
  const errors: FieldError[] = [];
  const customId = data['custom_id'];
  const title = data['title'];
  const components = Array.isArray(data['components']) ? (data['components'] as unknown[]) : [];
  if (typeof customId !== 'string' || strLen(customId) < 1 || strLen(customId) > 100)
    errors.push(badLength(['data', 'custom_id'], 1, 100));
  if (typeof title !== 'string' || strLen(title) < 1 || strLen(title) > 45)
    errors.push(badLength(['data', 'title'], 1, 45));
  if (components.length < 1 || components.length > 5) errors.push(badLength(['data', 'components'], 1, 5));
  const ids = new Set<string>();
  components.forEach((top: unknown, i) => {
    const path = ['data', 'components', i];
    if (!isRecord(top)) return;
    if (top['type'] === 18) {
      const label = top['label'];
      if (typeof label !== 'string' || strLen(label) < 1 || strLen(label) > 45)
        errors.push(badLength([...path, 'label'], 1, 45));
      if (strLen(top['description']) > 100) errors.push(maxLength([...path, 'description'], 100));
      const child = top['component'];
      if (!isRecord(child)) {
        errors.push(required([...path, 'component']));
        return;
      }
      if (typeof child['type'] !== 'number' || !LABEL_CHILDREN.has(child['type'])) {
        errors.push({
          path: [...path, 'component', 'type'],
          code: 'UNION_TYPE_CHOICES',
          message: `Value of field "type" must be one of (${[...LABEL_CHILDREN].join(', ')}).`,
        });
        return;
      }
      checkInteractive(child, [...path, 'component'], ids, errors);
      if (child['type'] === 19) checkFileUpload(child, [...path, 'component'], errors);
    } else if (top['type'] === 1) {
      const row = Array.isArray(top['components']) ? (top['components'] as unknown[]) : [];
      const input = row[0];
      if (row.length !== 1 || !isRecord(input) || input['type'] !== 4) {
        errors.push({
          path: [...path, 'components'],
          code: 'UNION_TYPE_CHOICES',
          message: 'An action row in a modal holds exactly one text input.',
        });
        return;
      }
      checkInteractive(input, [...path, 'components', 0], ids, errors);
    } else if (top['type'] !== 10) {
      errors.push({
        path: [...path, 'type'],
        code: 'UNION_TYPE_CHOICES',
        message: 'Value of field "type" must be one of (1, 10, 18).',
      });
    }
  });
  return errors.length > 0 ? invalidFormBody(errors) : undefined;
}

/** Whether a file name passes a File Upload's `file_types` (by extension only, as Discord checks). */
export function matchesFileTypes(filename: string, types: readonly string[] | undefined): boolean {
  if (!types || types.length === 0) return true;
  const ext = /\.[^.]+$/.exec(filename)?.[0]?.toLowerCase();
  if (!ext) return false;
  return types.some((t) => (FILE_TYPE_GROUPS[t] ?? [t.toLowerCase()]).includes(ext));
}

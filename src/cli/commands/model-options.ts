/**
 * The MODEL argument and the layer options every command that reads a model shares: their help
 * texts come from the format registry (src/formats/registry.ts), so they list what the code reads.
 */
import { Argument, InvalidArgumentError, Option } from 'commander';
import { CONV_MAPPINGS, type ConvMapping } from '../../formats/inventory.js';
import { acceptedFormats } from '../../formats/registry.js';

/** The help text of a MODEL argument: every kind the registry lists. */
export function modelHelp(): string {
  return `${acceptedFormats()} (docs/formats.md)`;
}

export const modelArgument = (): Argument => new Argument('<model>', modelHelp());

export function convMapping(value: string): ConvMapping {
  if (!(CONV_MAPPINGS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${CONV_MAPPINGS.join(', ')}.`);
  return value as ConvMapping;
}

const CONV_HELP = 'convolutions as channel graphs: sum (kernel summed over its window), norm (its L2 norm, sign of the sum) or unfold (one input unit per channel and window position; the only one written back)';

export const convOption = (defaultMapping: ConvMapping = 'sum'): Option => new Option('--conv <mapping>', CONV_HELP).argParser(convMapping).default(defaultMapping);

/** --layer NAME: any name `weightscope layers` prints for a layer, or one of its other names. */
export const layerOption = (what = 'only this layer'): Option => new Option('--layer <name>', `${what} (a name \`weightscope layers\` prints)`);

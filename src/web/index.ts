/**
 * `pix2pix-ts/widget`: the `<pix2pix-translator>` element. Importing this module (or loading
 * `dist/pix2pix-widget.min.js` with a `<script>` tag, global `Pix2PixWidget`) defines the element.
 * The bundle holds no tfjs: the model runs in the library's worker (`worker.js` beside it).
 *
 * @example
 * ```ts
 * import 'pix2pix-ts/widget';
 * document.body.insertAdjacentHTML('beforeend', '<pix2pix-translator model="/models/G.pth"></pix2pix-translator>');
 * ```
 */
import { definePix2PixTranslator } from './translator-element.js';

export { Pix2PixTranslatorElement, definePix2PixTranslator } from './translator-element.js';
export type {
  WidgetArchitecture,
  TranslatorState,
  TranslatorErrorKind,
  TranslatorReadyDetail,
  TranslatorTranslatedDetail,
  TranslatorErrorDetail,
  TranslatorProgressDetail,
  TranslatorImage,
} from './translator-element.js';
export type { SurfaceImage } from './drawing-surface.js';

if (typeof customElements !== 'undefined') definePix2PixTranslator();

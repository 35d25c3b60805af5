import type React from 'react';
import {useCallback, useEffect, useMemo, useState} from 'react';
import {Box, useApp} from 'ink';
import {Header, type Tab} from './components/header.js';
import {headerLines} from './components/header-lines.js';
import {Footer, type FooterMessage} from './components/footer.js';
import {HelpOverlay} from './components/help-overlay.js';
import {Confirm} from './components/confirm.js';
import {PanelErrorBoundary} from './components/error-boundary.js';
import {useSnapshot, useSnapshotSelector, useStore} from './context.js';
import {KeyboardProvider, useKeyboardState} from './keyboard.js';
import {hintsFor, type Command, type Hint, type Scope} from './keymap.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {LogView} from './views/log/log-view.js';
import type {DashboardSnapshot} from '../store/dashboard-store.js';
import type {ViewProps} from './views/types.js';
import {DevicesView, devicesTabLabel} from './views/devices/devices-view.js';
import {FirmwareView, firmwareTabLabel} from './views/firmware/firmware-view.js';
import {QueueView, queueTabLabel} from './views/queue/queue-view.js';

import {NavigationContext, type ViewId} from './navigation.js';
import {SayContext} from './say.js';

export type {ViewId} from './navigation.js';

export type {ViewProps} from './views/types.js';

interface ViewSpec {
  readonly id: ViewId;
  readonly key: string;
  readonly title: string;
  /** tab label with a count, from the snapshot */
  readonly label: (snapshot: DashboardSnapshot) => string;
  readonly Component: React.ComponentType<ViewProps>;
}

export const VIEWS: readonly ViewSpec[] = [
  {id: 'devices', key: '1', title: 'Devices', label: devicesTabLabel, Component: DevicesView},
  {id: 'firmware', key: '2', title: 'Firmware', label: firmwareTabLabel, Component: FirmwareView},
  {id: 'queue', key: '3', title: 'Queue', label: queueTabLabel, Component: QueueView},
  {id: 'log', key: '4', title: 'Log', label: s => `Log ${s.log.length}`, Component: LogView},
];

/** Lines the footer takes (message, key hints); the header takes its status line(s) and the tabs. */
export const FOOTER_LINES = 2;

export function App({initialView = 'devices', onQuit}: {readonly initialView?: ViewId; readonly onQuit?: () => void}) {
  const store = useStore();
  const {exit} = useApp();
  const [view, setView] = useState<ViewId>(initialView);
  const [help, setHelp] = useState(false);
  const [flash, setFlash] = useState<Flash | null>(null);
  const [askQuit, setAskQuit] = useState<string | null>(null);
  const quitNow = useCallback(() => {
    onQuit?.();
    exit();
  }, [exit, onQuit]);

  const onGlobal = useCallback((command: Command): boolean => {
    // functional updates: keys that arrive before the next render must act on the newest view
    const step = (delta: number) => setView(current => {
      const index = VIEWS.findIndex(v => v.id === current);
      return VIEWS[(index + delta + VIEWS.length) % VIEWS.length]!.id;
    });
    switch (command) {
      case 'app.quit': {
        // quitting stops the OTA queue: say so when updates are still open (Ctrl+C quits at once)
        // the newest state, not the last frame's: a job queued a moment ago counts
        store.flush();
        const {open, waiting} = store.getSnapshot().jobs.totals;
        // attached to a service: quitting detaches, its updates go on
        if (open === 0 || store.getSnapshot().attached) quitNow();
        else {
          const moving = open - waiting;
          setAskQuit(`${open} update${open === 1 ? ' is' : 's are'} open${moving ? ` (${moving} in progress)` : ''}. Quit homie-ota?`);
        }
        return true;
      }
      case 'app.help': setHelp(h => !h); return true;
      case 'view.devices': setView('devices'); return true;
      case 'view.firmware': setView('firmware'); return true;
      case 'view.queue': setView('queue'); return true;
      case 'view.log': setView('log'); return true;
      case 'view.next': step(1); return true;
      case 'view.prev': step(-1); return true;
      default: return false;
    }
  }, [store, quitNow]);

  const say = useCallback((text: string, tone: FooterMessage['tone'] = 'warn') => {
    const now = store.now();
    setFlash({text, tone, time: now, until: now + 5000});
  }, [store]);
  const onRefused = useCallback(() => say('read-only mode (--readonly): actions that change devices or firmware are off'), [say]);

  return (
    <KeyboardProvider readonly={store.getSnapshot().readonly} onGlobal={onGlobal} onRefused={onRefused} onInterrupt={quitNow}>
      <NavigationContext.Provider value={setView}>
        <SayContext.Provider value={say}>
          <Dashboard view={view} help={help} closeHelp={() => setHelp(false)} flash={flash} askQuit={askQuit} onQuitAnswer={yes => (yes ? quitNow() : setAskQuit(null))} />
        </SayContext.Provider>
      </NavigationContext.Provider>
    </KeyboardProvider>
  );
}

function Dashboard({view, help, closeHelp, flash, askQuit, onQuitAnswer}: {
  readonly view: ViewId;
  readonly help: boolean;
  readonly closeHelp: () => void;
  readonly flash: Flash | null;
  readonly askQuit: string | null;
  readonly onQuitAnswer: (yes: boolean) => void;
}) {
  // not the whole snapshot: a snapshot that changes nothing drawn here must not redraw the frame
  // (every host element React renders again costs Ink a whole frame), so the header and the footer
  // read it themselves and this reads only what sizes the body
  const {columns, rows} = useTerminalSize();
  const {activeScopes, modalOpen} = useKeyboardState();
  const statusCount = useSnapshotSelector(snapshot => headerLines(snapshot, columns).length);
  const readonly = useSnapshotSelector(snapshot => snapshot.readonly);
  const demo = useSnapshotSelector(snapshot => snapshot.settings.demo);
  // the frame stays at least one line shorter than the terminal (style.md §2d-3)
  const bodyHeight = Math.max(3, rows - 1 - statusCount - 1 - FOOTER_LINES);
  const spec = VIEWS.find(v => v.id === view)!;
  const viewScopes: readonly Scope[] = activeScopes.length > 0 ? activeScopes : [];
  const [helpScopes, setHelpScopes] = useState<readonly Scope[]>([]);
  useEffect(() => {
    if (!help) setHelpScopes(viewScopes);
    // remember the scopes of the view under the overlay
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [help, viewScopes.join(',')]);

  // while a dialog or prompt is open its keys are the only ones that work: show only those
  const hints = hintsFor(modalOpen ? viewScopes : [...viewScopes, 'global'], readonly);
  const Body = spec.Component;
  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <HeaderBar view={view} width={columns} />
      <Box height={bodyHeight} flexDirection="column" overflowY="hidden">
        {askQuit ? (
          <Confirm
            question={askQuit}
            detail={demo
              ? 'The demo ends here: its devices stop and its folder is deleted; nothing resumes.'
              : 'Waiting updates resume when homie-ota starts again; a transfer in progress finishes on the device and is checked after the restart.'}
            width={columns}
            onConfirm={() => onQuitAnswer(true)}
            onCancel={() => onQuitAnswer(false)}
          />
        ) : help ? (
          <HelpOverlay scopes={helpScopes} readonly={readonly} height={bodyHeight} width={columns} onClose={closeHelp} />
        ) : (
          <PanelErrorBoundary key={view} name={spec.title}>
            <Body height={bodyHeight} width={columns} isActive={!help} />
          </PanelErrorBoundary>
        )}
      </Box>
      <FooterBar hints={hints} flash={flash} width={columns} />
    </Box>
  );
}

/** The status line(s) and the tabs, from the snapshot; drawn again only when their text changes. */
function HeaderBar({view, width}: {readonly view: ViewId; readonly width: number}) {
  const snapshot = useSnapshot();
  const lines = headerLines(snapshot, width);
  const tabs: Tab[] = VIEWS.map(v => ({key: v.key, label: v.label(snapshot), active: v.id === view}));
  return useMemo(() => <Header lines={lines} tabs={tabs} width={width} />,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [JSON.stringify(lines), JSON.stringify(tabs), width]);
}

/** The message line and the key hints; drawn again only when their text changes. */
function FooterBar({hints, flash, width}: {readonly hints: readonly Hint[]; readonly flash: Flash | null; readonly width: number}) {
  const message = footerMessage(useSnapshot(), flash);
  return useMemo(() => <Footer hints={hints} message={message} width={width} />,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [JSON.stringify(hints), message?.text, message?.tone, width]);
}

/** A message of the dashboard itself (a key refused in --readonly), shown until `until`. */
type Flash = FooterMessage & {readonly time: number; readonly until: number};

const NOTICE_SHOWN_MS = 15_000;

/**
 * The footer's message: the newest of the dashboard's own message and the engine's last notice, of
 * whatever level — a success after a refusal replaces it — while it is fresh; else a lasting problem.
 */
function footerMessage(snapshot: DashboardSnapshot, flash: Flash | null): FooterMessage | null {
  const notice = snapshot.lastNotice && snapshot.now - snapshot.lastNotice.time < NOTICE_SHOWN_MS ? snapshot.lastNotice : null;
  const liveFlash = flash && flash.until > snapshot.now ? flash : null;
  if (liveFlash && (!notice || notice.time <= liveFlash.time)) return liveFlash;
  if (notice) return {text: notice.text, tone: notice.level};
  if (snapshot.problems.length > 0) return {text: snapshot.problems[0]!, tone: 'error'};
  return null;
}

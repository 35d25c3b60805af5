import {useMemo, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {devicesRunning, type FirmwareRow, type FirmwareSlice} from '../../../store/firmware-slice.js';
import {humanBytes, printable} from '../../../engine/util/text.js';
import {useActions, usePersistentState, useSnapshot, useStore} from '../../context.js';
import type {DashboardActions} from '../../../store/actions.js';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {useKeyLayer} from '../../keyboard.js';
import type {Command} from '../../keymap.js';
import {Confirm, confirmHeight} from '../../components/confirm.js';
import {flow} from '../../cells.js';
import {toneColor} from '../../theme.js';
import type {ViewProps} from '../types.js';
import {DescriptionPrompt} from './description-prompt.js';
import {FirmwareDetail} from './firmware-detail.js';
import {headerLine, rowLine, tableLayout} from './format.js';
import {StatusLines, statusLines, wrapStatus, type Flash} from './status-lines.js';
import {ArmDialog, ARM_DIALOG_LINES, armForm} from './arm-dialog.js';
import {armChanges, policyLines, watchLines} from './policy-lines.js';
import {policySettingsOf} from '../../../store/policies-slice.js';

export function firmwareTabLabel(snapshot: DashboardSnapshot): string {
  return `Firmware ${snapshot.firmware.total}`;
}

type Mode = {kind: 'list'} | {kind: 'detail'} | {kind: 'edit'; row: FirmwareRow} | {kind: 'delete'; row: FirmwareRow} | {kind: 'arm'; name: string};

/** the description prompt: border, label, line, hint */
const EDIT_LINES = 5;

/**
 * The Firmware view (view 2): the store grouped by name, newest version first, how many devices run
 * each file, and what happened to the latest drops and uploads. Enter shows details, e edits the
 * description, D deletes after confirmation.
 */
export function FirmwareView({height, width, isActive}: ViewProps) {
  const actions = useActions();
  const store = useStore();
  const {firmware, devices, now, policies} = useSnapshot();
  const rows = firmware.rows;
  const {cursor, current, at, move} = useFirmwareCursor(rows);
  const [mode, setMode] = usePersistentState<Mode>('firmware.mode', {kind: 'list'});
  const [flash, setFlash] = useState<Flash | null>(null);

  // where to drop files and how to upload are shown whole, wrapped: a cut path cannot be copied
  const summary = flow(summaryParts(firmware, rows.length).map(part => printable(part)), width);
  const status = wrapStatus([...policyLines(policies), ...watchLines(firmware), ...statusLines(firmware, flash, now)], width);
  const deleting = mode.kind === 'delete' ? deleteQuestion(mode.row) : null;
  const dialog = mode.kind === 'edit' ? EDIT_LINES : mode.kind === 'arm' ? ARM_DIALOG_LINES : deleting ? confirmHeight(deleting.question, deleting.detail, width) : 0;
  const bottom = Math.min(status.length, Math.max(0, height - summary.length - 3 - dialog));
  const listHeight = Math.max(1, height - summary.length - 1 - bottom - dialog);

  const say = (text: string, tone: Flash['tone']) => setFlash({text, tone, until: store.now() + 6000});

  const askDelete = (row: FirmwareRow) => {
    if (row.deleteRefusal) return say(`${row.record.file} cannot be deleted: ${row.deleteRefusal}`, 'warn');
    setMode({kind: 'delete', row});
  };

  useKeyLayer({
    scopes: mode.kind === 'detail' ? ['detail', 'firmware'] : ['firmware', 'list'],
    onKey: firmwareKeys(move, listHeight, at, setMode, askDelete),

  }, isActive && (mode.kind === 'list' || mode.kind === 'detail'));

  const back = () => setMode(mode.kind === 'edit' || mode.kind === 'delete' || mode.kind === 'arm' ? {kind: 'list'} : mode);
  const {saveDescription, confirmDelete} = firmwareChanges(actions, back, say);
  const saveArm = armChanges(actions, policies, back, say);

  const body = rows.length === 0
    ? <EmptyStore root={firmware.root} uploadUrl={firmware.uploadUrl} watching={firmware.watching} height={listHeight + 1} width={width} />
    : mode.kind === 'detail' && current
      ? <DetailOf row={current} devices={devices.devices} height={listHeight + 1} width={width} />
      : <FirmwareList rows={rows} cursor={cursor} height={listHeight} width={width} now={now} />;

  return (
    <Box flexDirection="column" height={height}>
      {summary.map((line, i) => <Text key={i} wrap="truncate-end" color={toneColor('muted')}>{line}</Text>)}
      {body}
      {mode.kind === 'edit' ? (
        <DescriptionPrompt
          label={`Description of ${mode.row.record.name} ${mode.row.record.version}`}
          initial={mode.row.record.description}
          width={width}
          onSave={text => saveDescription(mode.row, text)}
          onCancel={back}
        />
      ) : null}
      {mode.kind === 'arm' ? (
        <ArmDialog name={mode.name} initial={armForm(policySettingsOf(policies, mode.name).settings)} width={width} onSave={form => saveArm(mode.name, form)} onCancel={back} />
      ) : null}
      {mode.kind === 'delete' && deleting ? (
        <Confirm
          question={deleting.question}
          detail={deleting.detail}
          width={width}
          tone="error"
          onConfirm={() => confirmDelete(mode.row)}
          onCancel={back}
        />
      ) : null}
      <StatusLines lines={bottom > 0 ? status.slice(-bottom) : []} />
    </Box>
  );
}

/** What a user with an empty store needs: the two ways to add firmware, and where names come from. */
function EmptyStore({root, uploadUrl, watching, height, width}: {readonly root: string; readonly uploadUrl: string; readonly watching: boolean; readonly height: number; readonly width: number}) {
  const lines = [
    ['No firmware yet. To add one:'],
    watching ? ['  • copy the compiled .bin into', root, '(any file name; it is filed as name-version.bin)'] : ['  • copy it into', root, 'as <name>-<version>.bin (the folder is not watched: OTA_WATCH is off)'],
    ['  • or upload it:', `curl -F upload=@firmware.bin -F description="what changed" ${uploadUrl}`],
    ['Name and version come from Homie_setFirmware("name", "1.0.0") in the sketch.'],
  ].flatMap(parts => flow(parts.map(part => printable(part)), width, ' ', '    ')).slice(0, Math.max(1, height));
  return (
    <Box flexDirection="column" height={height}>
      {lines.map((line, i) => <Text key={i} wrap="truncate-end" color={i === 0 ? undefined : toneColor('muted')}>{line}</Text>)}
    </Box>
  );
}

function summaryParts(firmware: FirmwareSlice, count: number): string[] {
  if (count === 0) return ['0 firmware files'];
  return [
    `${firmware.total} firmware files, ${firmware.names} names`,
    firmware.watching ? `drop .bin files into ${firmware.root}` : 'folder not watched (OTA_WATCH off)',
    `upload: curl -F upload=@x.bin ${firmware.uploadUrl}`,
  ];
}

function deleteQuestion(row: FirmwareRow): {question: string; detail: string} {
  return {
    question: `Delete ${row.record.file}?`,
    detail: `${humanBytes(row.record.size)}; ${row.devices} device(s) run it; the file and its description are removed for good`,
  };
}

function FirmwareList({rows, cursor, height, width, now}: {
  readonly rows: readonly FirmwareRow[];
  readonly cursor: number;
  readonly height: number;
  readonly width: number;
  readonly now: number;
}) {
  const top = Math.max(0, Math.min(cursor - Math.floor(height / 2), rows.length - height));
  const visible = rows.slice(top, top + height);
  const layout = useMemo(() => tableLayout(rows, width, now), [rows, width, now]);
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold wrap="truncate-end">{headerLine(layout)}</Text>
      {visible.map((row, i) => {
        const selected = top + i === cursor;
        return (
          <Text key={row.record.file} wrap="truncate-end" inverse={selected} color={row.firstOfName ? undefined : toneColor('muted')}>
            {rowLine(row, layout, now)}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * The row under the cursor, kept by file name. Keys can arrive faster than React redraws: each move
 * starts from the last move, not the last render.
 */
function useFirmwareCursor(rows: readonly FirmwareRow[]) {
  const [cursorFile, setCursorFile] = usePersistentState<string | null>('firmware.cursor', null);
  const found = rows.findIndex(r => r.record.file === cursorFile);
  const cursor = rows.length === 0 ? -1 : found >= 0 ? found : 0;
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;
  const move = (by: number | 'top' | 'bottom') => {
    if (rows.length === 0) return;
    const to = by === 'top' ? 0 : by === 'bottom' ? rows.length - 1 : cursorRef.current + by;
    cursorRef.current = Math.max(0, Math.min(rows.length - 1, to));
    const row = rows[cursorRef.current];
    if (row) setCursorFile(row.record.file);
  };
  return {cursor, current: cursor >= 0 ? rows[cursor] : undefined, at: () => rows[cursorRef.current], move};
}

/** Saving a description and deleting a file: the dialog closes at once, the answer is shown when it comes. */
function firmwareChanges(actions: DashboardActions, back: () => void, say: (text: string, tone: Flash['tone']) => void) {
  return {
    saveDescription(row: FirmwareRow, text: string) {
      back();
      void actions.setFirmwareDescription(row.record.name, row.record.version, text).then(
        result => say(result.message, result.ok ? 'info' : 'error'),
        (error: unknown) => say(`cannot save the description: ${(error as Error).message}`, 'error'),
      );
    },
    confirmDelete(row: FirmwareRow) {
      back();
      void actions.deleteFirmware(row.record.name, row.record.version).then(
        result => (result.ok ? undefined : say(result.message, 'error')),
        (error: unknown) => say(`cannot delete ${row.record.file}: ${(error as Error).message}`, 'error'),
      );
    },
  };
}

/** The detail of a firmware with the devices that run it. */
function DetailOf({row, devices, height, width}: {readonly row: FirmwareRow; readonly devices: readonly DeviceRecord[]; readonly height: number; readonly width: number}) {
  const running = useMemo(() => devicesRunning(devices, row.record), [devices, row.record]);
  return <FirmwareDetail row={row} path={row.path} devices={running} height={height} width={width} />;
}

/** The list's keys: move, open, edit the description, delete. */
function firmwareKeys(move: (by: number | 'top' | 'bottom') => void, page: number, at: () => FirmwareRow | undefined, setMode: (mode: Mode) => void, askDelete: (row: FirmwareRow) => void) {
  return (command: Command | undefined): boolean => {
    const row = at();
    switch (command) {
      case 'nav.up': move(-1); return true;
      case 'nav.down': move(1); return true;
      case 'nav.pageUp': move(-page); return true;
      case 'nav.pageDown': move(page); return true;
      case 'nav.top': move('top'); return true;
      case 'nav.bottom': move('bottom'); return true;
      case 'nav.open': if (row) setMode({kind: 'detail'}); return true;
      case 'nav.back': setMode({kind: 'list'}); return true;
      case 'firmware.edit': if (row) setMode({kind: 'edit', row}); return true;
      case 'firmware.delete': if (row) askDelete(row); return true;
      case 'firmware.arm': if (row) setMode({kind: 'arm', name: row.record.name}); return true;
      default: return false;
    }
  };
}

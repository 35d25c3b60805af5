/** What every view receives from the layout. */
export interface ViewProps {
  /** rows the view may use, never more */
  readonly height: number;
  readonly width: number;
  readonly isActive: boolean;
}

// Who is logged in and which controls to show (GET /ui/session). The API checks every call
// again; hiding a control is for clarity, not security.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const SessionContext = createContext({ username: '', role: '', canOperate: false, canMaintain: false, canReadLogs: false });

export const useSession = () => useContext(SessionContext);
